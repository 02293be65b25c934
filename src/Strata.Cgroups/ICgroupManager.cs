using Strata.Oci.Runtime;

namespace Strata.Cgroups;

/// <summary>One container's cgroup across every hierarchy of the host.</summary>
public interface ICgroupManager
{
    /// <summary>The container's cgroup, absolute within a hierarchy.</summary>
    string CgroupsPath { get; }

    /// <summary>Controller (or "name=systemd", or "unified") to the container's directory.</summary>
    IReadOnlyDictionary<string, string> Paths { get; }

    /// <summary>
    /// Makes early, best effort, the directory whose making can stall the host: the first cpuset cgroup below
    /// the root turns on a kernel static key, which patches kernel text on every CPU (milliseconds on a small
    /// VM). A caller does this before it starts work on other CPUs that the patching would interrupt.
    /// Failures are left to <see cref="Create"/> to report; <see cref="Destroy"/> removes what this made.
    /// </summary>
    void Prepare();

    /// <summary>Creates the cgroup in every hierarchy (mkdir -p) and prepares it for use.</summary>
    void Create();

    /// <summary>Writes <paramref name="resources"/>; throws <see cref="CgroupException"/> when the kernel refuses.</summary>
    void Apply(LinuxResources? resources);

    /// <summary>Moves <paramref name="pid"/> into the cgroup in every hierarchy.</summary>
    void AddProcess(int pid);

    /// <summary>The processes in the cgroup and its sub-cgroups.</summary>
    IReadOnlyList<int> GetPids();

    CgroupStats GetStats();

    /// <summary>Freezes every task and returns once the kernel reports the cgroup frozen.</summary>
    void Freeze();

    void Thaw();

    bool IsFrozen();

    /// <summary>Removes the container's directories (not their parents); missing ones are fine.</summary>
    void Destroy();
}
