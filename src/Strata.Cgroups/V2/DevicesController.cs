using Strata.Oci.Runtime;

namespace Strata.Cgroups.V2;

/// <summary>
/// cgroup v2 has no device files: access is decided by a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the
/// cgroup (cgroup-v2.rst, "Device controller"), compiled by <see cref="DeviceFilter"/>.
/// </summary>
internal sealed class DevicesController : IController
{
    string? IController.Name => null;

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, resources.Devices!);

    public static void Apply(CgroupFiles files, string dir, IReadOnlyList<LinuxDeviceCgroup> rules)
    {
        // Nothing to restrict: no program, so a host without BPF support still runs such containers.
        if (rules.All(IsAllowAll))
            return;
        files.AttachDeviceFilter(dir, DeviceFilter.Compile(rules));
    }

    private static bool IsAllowAll(LinuxDeviceCgroup r) =>
        r.Allow && (string.IsNullOrEmpty(r.Type) || r.Type == "a") && r.Major is null && r.Minor is null
            && (string.IsNullOrEmpty(r.Access) || r.Access == "rwm");
}
