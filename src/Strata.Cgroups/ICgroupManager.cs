using Strata.Oci.Runtime;

namespace Strata.Cgroups;

/// <summary>One container's cgroup across every hierarchy of the host.</summary>
public interface ICgroupManager
{
    /// <summary>The container's cgroup, absolute within a hierarchy.</summary>
    string CgroupsPath { get; }

    /// <summary>Controller (or "name=systemd", or "unified") to the container's directory.</summary>
    IReadOnlyDictionary<string, string> Paths { get; }

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
