using Strata.Cgroups;

namespace Strata.Metrics.Collectors;

/// <summary>What the collector needs to know of a container.</summary>
/// <param name="Id">The container's id (the "id" label is its cgroup path, as cAdvisor's).</param>
/// <param name="Cgroup">Its cgroup, opened through Strata.Cgroups' host detection (v1, v2 or hybrid).</param>
/// <param name="Pid">Its init process, whose network namespace is the container's; null if unknown.</param>
/// <param name="PidStartTime">The init's start time (/proc/PID/stat field 22), so a reused pid is not taken for it.</param>
public sealed record ContainerTarget(string Id, ICgroupManager Cgroup, int? Pid = null, ulong? PidStartTime = null)
{
    public string Name { get; init; } = "";
    public string Image { get; init; } = "";
}
