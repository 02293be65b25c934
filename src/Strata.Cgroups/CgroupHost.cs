using System.Globalization;
using System.Text;

namespace Strata.Cgroups;

/// <summary>The cgroup mounts of this machine and this process's place in them.</summary>
public sealed class CgroupHost
{
    // The v1 subsystems (cgroup-v1/cgroups.rst and the kernel's cgroup_subsys.h); any other mount option
    // (rw, noprefix, xattr, clone_children, release_agent=...) is not a controller.
    private static readonly HashSet<string> V1Subsystems = new(StringComparer.Ordinal)
    {
        "cpuset", "cpu", "cpuacct", "io", "blkio", "memory", "devices", "freezer", "net_cls", "perf_event",
        "net_prio", "hugetlb", "pids", "rdma", "misc", "debug",
    };

    private CgroupHost(CgroupMode mode, IReadOnlyList<CgroupHierarchy> hierarchies, CgroupHierarchy? unified)
    {
        Mode = mode;
        Hierarchies = hierarchies;
        Unified = unified;
    }

    public CgroupMode Mode { get; }

    /// <summary>
    /// What a container needs to mount: every v1 hierarchy (with its option string) and, in Hybrid and
    /// Unified mode, the cgroup2 mount.
    /// </summary>
    public IReadOnlyList<CgroupHierarchy> Hierarchies { get; }

    /// <summary>The cgroup2 hierarchy, if mounted.</summary>
    internal CgroupHierarchy? Unified { get; }

    public static CgroupHost Detect() =>
        FromFiles(ReadProcFile("/proc/self/mountinfo"), ReadProcFile("/proc/self/cgroup"));

    private static string ReadProcFile(string path) =>
        Strata.Linux.Sys.TryReadText(path, out int errno) ?? throw new CgroupException($"cannot read {path}: errno {errno}", path, errno);

    /// <param name="mountinfoText">The text of /proc/self/mountinfo (proc(5)).</param>
    /// <param name="procSelfCgroupText">The text of /proc/self/cgroup ("id:controllers:path" lines).</param>
    /// <param name="pathPrefix">Prepended to every mount point, so a temporary directory can act as cgroupfs.</param>
    public static CgroupHost FromFiles(string mountinfoText, string procSelfCgroupText, string? pathPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(mountinfoText);
        ArgumentNullException.ThrowIfNull(procSelfCgroupText);
        Dictionary<string, string> own = ParseProcSelfCgroup(procSelfCgroupText);
        string prefix = pathPrefix?.TrimEnd('/') ?? "";

        var v1 = new List<CgroupHierarchy>();
        CgroupHierarchy? unified = null;
        foreach (string line in mountinfoText.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "36 35 98:0 /root /mnt rw,noatime master:1 - cgroup cgroup rw,memory": optional fields end at "-".
            string[] f = line.Split(' ');
            int dash = Array.IndexOf(f, "-", 6);
            if (f.Length < 7 || dash < 0 || dash + 3 >= f.Length)
                continue;
            string fsType = f[dash + 1];
            string root = Unescape(f[3]);
            string mountPoint = prefix + Unescape(f[4]);
            if (fsType == "cgroup2")
            {
                unified ??= new CgroupHierarchy(mountPoint, [], true, own.GetValueOrDefault("", "/")) { Root = root };
            }
            else if (fsType == "cgroup")
            {
                string[] controllers = f[dash + 3].Split(',')
                    .Where(o => V1Subsystems.Contains(o) || o.StartsWith("name=", StringComparison.Ordinal))
                    .ToArray();
                if (controllers.Length == 0)
                    continue;
                // The same hierarchy can be mounted twice (bind mounts); keep one, preferring the whole tree.
                int existing = v1.FindIndex(h => h.Controllers.SequenceEqual(controllers));
                if (existing >= 0 && (v1[existing].Root == "/" || root != "/"))
                    continue;
                string ownPath = controllers.Select(c => own.GetValueOrDefault(c)).FirstOrDefault(p => p is not null) ?? "/";
                var h = new CgroupHierarchy(mountPoint, controllers, false, ownPath) { Root = root };
                if (existing >= 0)
                    v1[existing] = h;
                else
                    v1.Add(h);
            }
        }

        bool hasV1Controllers = v1.Any(h => !h.IsNamed);
        if (hasV1Controllers)
        {
            var all = new List<CgroupHierarchy>(v1);
            if (unified is not null)
                all.Add(unified);
            return new CgroupHost(unified is null ? CgroupMode.Legacy : CgroupMode.Hybrid, all, unified);
        }
        if (unified is not null)
            return new CgroupHost(CgroupMode.Unified, [unified], unified);
        throw new CgroupException("no cgroup filesystem is mounted: mountinfo lists no cgroup or cgroup2 mount with a controller");
    }

    /// <summary>Controller ("" for the v2 line, "name=systemd" for named hierarchies) to this process's cgroup.</summary>
    private static Dictionary<string, string> ParseProcSelfCgroup(string text)
    {
        var own = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = line.Split(':', 3);
            if (parts.Length != 3)
                continue;
            if (parts[1].Length == 0)
                own[""] = parts[2];
            else
                foreach (string c in parts[1].Split(','))
                    own[c] = parts[2];
        }
        return own;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo (proc(5)).</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains('\\', StringComparison.Ordinal))
            return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length && IsOctal(s[i + 1]) && IsOctal(s[i + 2]) && IsOctal(s[i + 3]))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(s[i]);
            }
        }
        return sb.ToString();

        static bool IsOctal(char c) => c is >= '0' and <= '7';
    }
}
