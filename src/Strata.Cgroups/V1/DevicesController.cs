using Strata.Oci.Runtime;

namespace Strata.Cgroups.V1;

/// <summary>The v1 device whitelist (Documentation/admin-guide/cgroup-v1/devices.rst).</summary>
internal sealed class DevicesController : IController
{
    string? IController.Name => "devices";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, resources.Devices!);

    /// <summary>Rules are applied in order, as the spec says; "a" in devices.deny clears the whole list.</summary>
    public static void Apply(CgroupFiles files, string dir, IReadOnlyList<LinuxDeviceCgroup> rules)
    {
        // Consecutive rules for the same file go through one open file, one write() each.
        var run = new List<string>();
        bool? allow = null;
        foreach (LinuxDeviceCgroup rule in rules)
        {
            if (allow is { } a && a != rule.Allow)
            {
                files.WriteEach(dir, a ? "devices.allow" : "devices.deny", run);
                run.Clear();
            }
            allow = rule.Allow;
            run.Add(Format(rule));
        }
        if (allow is { } last)
            files.WriteEach(dir, last ? "devices.allow" : "devices.deny", run);
    }

    /// <summary>"TYPE MAJOR:MINOR ACCESS" (devices.rst 1), with "*" for any number.</summary>
    public static string Format(LinuxDeviceCgroup rule)
    {
        string type = string.IsNullOrEmpty(rule.Type) ? "a" : rule.Type;
        string major = rule.Major is long ma ? Invariant.Str(ma) : "*";
        string minor = rule.Minor is long mi ? Invariant.Str(mi) : "*";
        string access = string.IsNullOrEmpty(rule.Access) ? "rwm" : rule.Access;
        return $"{type} {major}:{minor} {access}";
    }
}
