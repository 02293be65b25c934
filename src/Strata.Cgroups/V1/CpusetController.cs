using Strata.Oci.Runtime;

namespace Strata.Cgroups.V1;

/// <summary>The v1 cpuset controller (Documentation/admin-guide/cgroup-v1/cpusets.rst).</summary>
internal sealed class CpusetController : IController
{
    string? IController.Name => "cpuset";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, resources.Cpu!);

    public static bool IsNeeded(LinuxCpu? c) => !string.IsNullOrEmpty(c?.Cpus) || !string.IsNullOrEmpty(c?.Mems);

    public static void Apply(CgroupFiles files, string dir, LinuxCpu c)
    {
        if (!string.IsNullOrEmpty(c.Cpus))
            files.Write(dir, "cpuset.cpus", c.Cpus);
        if (!string.IsNullOrEmpty(c.Mems))
            files.Write(dir, "cpuset.mems", c.Mems);
    }

    /// <summary>
    /// A new v1 cpuset starts with empty cpuset.cpus and cpuset.mems and no task can join it until both are
    /// set (cpusets.rst 2.1), so each level inherits its parent's values.
    /// </summary>
    public static void InheritFromParent(CgroupFiles files, string parentDir, string dir)
    {
        foreach (string file in (ReadOnlySpan<string>)["cpuset.cpus", "cpuset.mems"])
        {
            if (!string.IsNullOrWhiteSpace(CgroupFiles.TryRead(dir, file)))
                continue;
            string parent = CgroupFiles.TryRead(parentDir, file)?.Trim() ?? "";
            if (parent.Length > 0)
                files.Write(dir, file, parent);
        }
    }
}
