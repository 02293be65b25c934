using System.Globalization;

namespace Strata.Cgroups.Tests;

/// <summary>A cgroup file a test reads and the value it should hold.</summary>
public sealed record CgroupValue(string Path, string Expected)
{
    public string Actual => File.ReadAllText(Path).Trim();

    public void AssertHolds()
    {
        var actual = Actual;
        Assert.True(actual == Expected, $"{Path} holds \"{actual}\", expected \"{Expected}\"");
    }
}

/// <summary>
/// A container's cgroup as this host mounts it, found through <see cref="CgroupHost"/> (legacy, hybrid or
/// unified), with the name each setting has there: tests say "the memory limit is 64 MiB" and read
/// memory.limit_in_bytes on cgroup v1, memory.max on v2, so the same test runs on either.
/// Shared by the cgroup unit tests and the integration harness (linked into Strata.Integration).
/// </summary>
public sealed class ContainerCgroup
{
    private readonly IReadOnlyDictionary<string, string> _paths;
    private readonly HashSet<string> _unifiedControllers;

    /// <param name="host">The host's cgroup mounts.</param>
    /// <param name="cgroupsPath">The container's linux.cgroupsPath (absolute, or relative to the caller's cgroups).</param>
    /// <param name="unifiedControllers">The controllers the cgroup2 hierarchy offers (its root cgroup.controllers).</param>
    public ContainerCgroup(CgroupHost host, string cgroupsPath, IEnumerable<string> unifiedControllers)
    {
        ArgumentNullException.ThrowIfNull(host);
        Mode = host.Mode;
        _paths = CgroupManager.Open(host, cgroupsPath).Paths;
        _unifiedControllers = unifiedControllers.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The container's cgroup on this machine.</summary>
    public static ContainerCgroup OnThisHost(string cgroupsPath)
    {
        var host = CgroupHost.Detect();
        return new ContainerCgroup(host, cgroupsPath, UnifiedControllersOf(host));
    }

    /// <summary>The controllers this host's cgroup2 mount offers, none without one.</summary>
    public static string[] UnifiedControllersOf(CgroupHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var unified = host.Hierarchies.FirstOrDefault(h => h.IsUnified);
        var controllers = unified is null ? "" : File.ReadAllText(Path.Combine(unified.MountPoint, "cgroup.controllers"));
        return controllers.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
    }

    public CgroupMode Mode { get; }

    /// <summary>The container's directory in every hierarchy, where leftovers would be.</summary>
    public IEnumerable<string> Directories => _paths.Values.Distinct(StringComparer.Ordinal);

    /// <summary>
    /// The directory of the hierarchy that serves <paramref name="controller"/>: its v1 hierarchy or, failing
    /// that, the cgroup2 one when it offers the controller; null when the host has neither.
    /// </summary>
    public string? DirectoryOf(string controller) =>
        _paths.TryGetValue(controller, out var v1) ? v1
        : IsUnified(controller) ? _paths["unified"]
        : null;

    /// <summary>True when cgroup2 serves <paramref name="controller"/>, so its files have v2 names.</summary>
    public bool IsUnified(string controller) =>
        !_paths.ContainsKey(controller) && _paths.ContainsKey("unified") && _unifiedControllers.Contains(controller);

    /// <summary>The processes file of the hierarchy serving <paramref name="controller"/>.</summary>
    public string Procs(string controller) => FileOf(controller, "cgroup.procs");

    /// <summary>The cpu controller's statistics (nr_throttled and the others have the same names in v1 and v2).</summary>
    public string CpuStat => FileOf("cpu", "cpu.stat");

    public CgroupValue MemoryLimit(long bytes) =>
        Value("memory", IsUnified("memory") ? "memory.max" : "memory.limit_in_bytes", Str(bytes));

    /// <summary>linux.resources.memory.reservation: the soft limit on v1, memory.low on v2 (as runc maps it).</summary>
    public CgroupValue MemoryReservation(long bytes) =>
        Value("memory", IsUnified("memory") ? "memory.low" : "memory.soft_limit_in_bytes", Str(bytes));

    /// <summary>v1 only: cgroup v2 has no per-cgroup swappiness.</summary>
    public CgroupValue? MemorySwappiness(ulong swappiness) =>
        IsUnified("memory") ? null : Value("memory", "memory.swappiness", Str(swappiness));

    /// <summary>cpu.shares on v1; on v2 cpu.weight, mapped as runc and crun map it (shares 2..262144 onto 1..10000).</summary>
    public CgroupValue CpuShares(ulong shares) =>
        IsUnified("cpu")
            ? Value("cpu", "cpu.weight", Str(1 + ((Math.Clamp(shares, 2UL, 262_144UL) - 2) * 9999 / 262_142)))
            : Value("cpu", "cpu.shares", Str(shares));

    /// <summary>cfs_quota_us and cfs_period_us on v1; both in cpu.max ("QUOTA PERIOD") on v2.</summary>
    public IReadOnlyList<CgroupValue> CpuQuota(long quota, ulong period) =>
        IsUnified("cpu")
            ? [Value("cpu", "cpu.max", $"{Str(quota)} {Str(period)}")]
            : [Value("cpu", "cpu.cfs_quota_us", Str(quota)), Value("cpu", "cpu.cfs_period_us", Str(period))];

    public CgroupValue Cpus(string cpus) => Value("cpuset", "cpuset.cpus", cpus);

    public CgroupValue PidsLimit(long limit) => Value("pids", "pids.max", Str(limit));

    /// <summary>hugetlb.SIZE.limit_in_bytes on v1, hugetlb.SIZE.max on v2; <paramref name="pageSize"/> as the spec writes it ("2MB").</summary>
    public CgroupValue HugepageLimit(string pageSize, ulong bytes) =>
        Value("hugetlb", IsUnified("hugetlb") ? $"hugetlb.{pageSize}.max" : $"hugetlb.{pageSize}.limit_in_bytes", Str(bytes));

    /// <summary>
    /// Where a process inside a container, with its own cgroup namespace and the runtime's cgroup mounts, finds
    /// <paramref name="file"/> of <paramref name="controller"/>: /sys/fs/cgroup/HIERARCHY/FILE on v1 and hybrid
    /// hosts, /sys/fs/cgroup/FILE on a pure v2 host.
    /// </summary>
    public static string InContainer(CgroupHost host, IEnumerable<string> unifiedControllers, string controller, string file)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host.Mode == CgroupMode.Unified)
            return "/sys/fs/cgroup/" + file;
        // Runtimes mount each hierarchy under the name of its host mount point ("memory", "cpu,cpuacct", "unified").
        var hierarchy = host.Hierarchies.FirstOrDefault(h => h.Controllers.Contains(controller))
            ?? (unifiedControllers.Contains(controller) ? host.Hierarchies.FirstOrDefault(h => h.IsUnified) : null)
            ?? throw new InvalidOperationException($"this host has no {controller} controller");
        return $"/sys/fs/cgroup/{Path.GetFileName(hierarchy.MountPoint.TrimEnd('/'))}/{file}";
    }

    private CgroupValue Value(string controller, string file, string expected) => new(FileOf(controller, file), expected);

    private string FileOf(string controller, string file) =>
        Path.Combine(DirectoryOf(controller) ?? throw new InvalidOperationException($"this host has no {controller} controller (cgroup v1: {string.Join(", ", _paths.Keys.Where(k => k != "unified"))}; cgroup2: {(_paths.ContainsKey("unified") ? string.Join(", ", _unifiedControllers) : "not mounted")})"), file);

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Str(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
