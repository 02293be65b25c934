using Strata.Oci.Runtime;

namespace Strata.Cgroups;

/// <summary>The pids controller; v1 and v2 share its files (cgroup-v1/pids.rst, cgroup-v2.rst "PID").</summary>
internal sealed class PidsController : IController
{
    string? IController.Name => "pids";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, resources.Pids!.Limit!.Value);

    /// <summary>The spec says a limit of zero or less means unlimited, which the kernel spells "max".</summary>
    public static void Apply(CgroupFiles files, string dir, long limit) =>
        files.Write(dir, "pids.max", limit > 0 ? Invariant.Str(limit) : "max");

    public static PidsStats ReadStats(string dir) => new()
    {
        Current = CgroupFiles.TryReadNumber(dir, "pids.current") ?? 0,
        Limit = CgroupFiles.TryReadNumber(dir, "pids.max") ?? ulong.MaxValue,
    };
}
