using System.Globalization;
using Strata.Oci.Runtime;

namespace Strata.Cgroups;

/// <summary>
/// A container's cgroup in every hierarchy of a <see cref="CgroupHost"/>, driven through cgroupfs. Each
/// controller is served by the v1 hierarchy that binds it or, failing that, by the cgroup2 hierarchy when
/// it lists the controller (on hybrid hosts that is how e.g. hugetlb is reached).
/// </summary>
internal sealed class FsCgroupManager : ICgroupManager
{
    private readonly CgroupFiles _files;
    private readonly Action<string> _warn;
    private readonly List<Node> _nodes;
    private readonly Node? _unified;
    private HashSet<string>? _unifiedControllers;

    /// <summary>The container's cgroup at <paramref name="cgroupsPath"/> (see <see cref="CgroupManager.Open(CgroupHost, string)"/>).</summary>
    public FsCgroupManager(CgroupHost host, string cgroupsPath, CgroupFiles files, Action<string>? warn = null)
        : this(host, files, NodesAt(host, cgroupsPath), warn)
    {
    }

    /// <summary>The container's cgroup at the directories <see cref="Paths"/> listed when it was created.</summary>
    public FsCgroupManager(CgroupHost host, IReadOnlyDictionary<string, string> paths, CgroupFiles files, Action<string>? warn = null)
        : this(host, files, NodesAt(host, paths), warn)
    {
    }

    private FsCgroupManager(CgroupHost host, CgroupFiles files, List<Node> nodes, Action<string>? warn)
    {
        _files = files;
        _warn = warn ?? (_ => { });
        _nodes = nodes;
        if (_nodes.Count == 0)
            throw new CgroupException("none of the container's cgroup directories is in a hierarchy this host mounts");
        _unified = _nodes.Find(n => n.Hierarchy.IsUnified);
        Node primary = _unified is not null && host.Mode == CgroupMode.Unified ? _unified
            : _nodes.Find(n => n.Hierarchy.Controllers.Contains("memory")) ?? _nodes[0];
        CgroupsPath = primary.CgroupPath;

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Node n in _nodes)
        {
            if (n.Hierarchy.IsUnified)
                map["unified"] = n.Directory;
            foreach (string c in n.Hierarchy.Controllers)
                map[c] = n.Directory;
        }
        Paths = map;
    }

    /// <summary>
    /// runc's cgroupfs rule: an absolute path is below each hierarchy's root, a relative one below this
    /// process's own cgroup in that hierarchy, which may differ from one hierarchy to the next (a systemd
    /// service's memory cgroup, say, and the root cpuset). The own cgroup exists: nothing above the
    /// container's directory is made for a relative path.
    /// </summary>
    private static List<Node> NodesAt(CgroupHost host, string cgroupsPath)
    {
        bool absolute = cgroupsPath.StartsWith('/');
        string normalized = Normalize(cgroupsPath);
        var nodes = new List<Node>();
        foreach (CgroupHierarchy h in host.Hierarchies)
        {
            string path = absolute ? normalized : Join(h.OwnPath, normalized);
            nodes.Add(new Node(h, path, h.DirectoryOf(path)));
        }
        return nodes;
    }

    /// <summary>
    /// The nodes of a cgroup created earlier, from its <see cref="Paths"/>: a hierarchy mounted since then is
    /// left out, and a directory outside its hierarchy is refused.
    /// </summary>
    private static List<Node> NodesAt(CgroupHost host, IReadOnlyDictionary<string, string> paths)
    {
        var nodes = new List<Node>();
        foreach (CgroupHierarchy h in host.Hierarchies)
        {
            if (!paths.TryGetValue(h.IsUnified ? "unified" : h.Controllers[0], out string? dir))
                continue;
            string mount = h.MountPoint.TrimEnd('/');
            if (dir != h.MountPoint && !dir.StartsWith(mount + "/", StringComparison.Ordinal))
                throw new CgroupException($"cgroup directory {dir} is not in the hierarchy mounted at {h.MountPoint}");
            string below = dir.Length > mount.Length ? dir[mount.Length..] : "/";
            string path = h.Root == "/" ? below : below == "/" ? h.Root : h.Root.TrimEnd('/') + below;
            nodes.Add(new Node(h, path, dir));
        }
        return nodes;
    }

    public string CgroupsPath { get; }

    public IReadOnlyDictionary<string, string> Paths { get; }

    public void Prepare()
    {
        foreach (Node n in _nodes)
        {
            if (n.Hierarchy.IsUnified || !n.Hierarchy.Controllers.Contains("cpuset"))
                continue;
            try
            {
                Create(n);
                n.Made = true;
            }
            catch (CgroupException)
            {
                // Create reports it.
            }
        }
    }

    public void Create()
    {
        foreach (Node n in _nodes)
        {
            if (n.Made)
                continue;
            try
            {
                Create(n);
            }
            catch (CgroupException) when (n.Hierarchy.IsNamed)
            {
                // Named hierarchies (name=systemd) carry no limits; a container works without them.
            }
        }
    }

    private void Create(Node n)
    {
        List<string> levels = n.Levels();
        for (int i = 1; i < levels.Count; i++)
            CgroupFiles.CreateDirectory(levels[i]);
        if (!n.Hierarchy.IsUnified && n.Hierarchy.Controllers.Contains("cpuset"))
        {
            for (int i = 1; i < levels.Count; i++)
                V1.CpusetController.InheritFromParent(_files, levels[i - 1], levels[i]);
        }
        if (n.Hierarchy.IsUnified)
            EnableControllers(levels);
    }

    /// <summary>
    /// A v2 cgroup gets a controller's files only if every ancestor enables it in cgroup.subtree_control
    /// (cgroup-v2.rst, "Enabling and Disabling"), so each ancestor enables all it has. An ancestor holding
    /// processes refuses (the no-internal-process rule); that is tolerated here and surfaces in Apply as a
    /// missing controller if the container needs it.
    /// </summary>
    private void EnableControllers(List<string> levels)
    {
        IReadOnlyCollection<string> available = UnifiedControllers;
        for (int i = 0; i < levels.Count - 1; i++)
        {
            string? listed = CgroupFiles.TryRead(levels[i], "cgroup.controllers");
            if (listed is not null)
                available = Tokens(listed);
            HashSet<string> enabled = Tokens(CgroupFiles.TryRead(levels[i], "cgroup.subtree_control") ?? "")
                .Select(t => t.TrimStart('+')).ToHashSet(StringComparer.Ordinal);
            string[] missing = available.Where(c => !enabled.Contains(c)).ToArray();
            if (missing.Length == 0)
                continue;
            try
            {
                _files.Write(levels[i], "cgroup.subtree_control", string.Join(' ', missing.Select(c => "+" + c)));
            }
            catch (CgroupException)
            {
                foreach (string c in missing)
                {
                    try
                    {
                        _files.Write(levels[i], "cgroup.subtree_control", "+" + c);
                    }
                    catch (CgroupException)
                    {
                        // See the summary: reported by Apply if the controller is actually needed.
                    }
                }
            }
        }
    }

    public void Apply(LinuxResources? resources)
    {
        if (resources is null)
            return;
        resources = ZeroMeansUnset(resources);

        if (resources.Devices is { } devices)
        {
            if (Find("devices") is { Unified: false } d)
                V1.DevicesController.Apply(_files, d.Dir, devices);
            else if (_unified is not null)
                V2.DevicesController.Apply(_files, _unified.Directory, devices);
            else if (devices.Count > 0)
                throw Unavailable("devices");
        }

        if (resources.Memory is { } memory && V1.MemoryController.IsNeeded(memory))
        {
            Target t = Require("memory");
            if (t.Unified)
                V2.MemoryController.Apply(_files, t.Dir, memory, _warn);
            else
                V1.MemoryController.Apply(_files, t.Dir, memory, _warn);
        }

        if (resources.Cpu is { } cpu)
        {
            if (V1.CpuController.IsNeeded(cpu))
            {
                Target t = Require("cpu");
                if (t.Unified)
                    V2.CpuController.Apply(_files, t.Dir, cpu);
                else
                    V1.CpuController.Apply(_files, t.Dir, cpu);
            }
            if (V1.CpusetController.IsNeeded(cpu))
            {
                Target t = Require("cpuset");
                if (t.Unified)
                    V2.CpusetController.Apply(_files, t.Dir, cpu);
                else
                    V1.CpusetController.Apply(_files, t.Dir, cpu);
            }
        }

        if (resources.Pids?.Limit is long pidsLimit)
            PidsController.Apply(_files, Require("pids").Dir, pidsLimit);

        if (resources.BlockIO is { } blockIO && V1.BlkioController.IsNeeded(blockIO))
        {
            if (Find("blkio") is { Unified: false } b)
                V1.BlkioController.Apply(_files, b.Dir, blockIO);
            else
                V2.IoController.Apply(_files, Require("io").Dir, blockIO);
        }

        if (resources.HugepageLimits is { Count: > 0 } hugepages)
        {
            Target t = Require("hugetlb");
            HugetlbController.Apply(_files, t.Dir, t.Unified, hugepages);
        }

        if (resources.Network?.ClassID is uint classId)
            V1.NetController.ApplyClassId(_files, Require("net_cls").Dir, classId);
        if (resources.Network?.Priorities is { Count: > 0 } priorities)
            V1.NetController.ApplyPriorities(_files, Require("net_prio").Dir, priorities);

        if (resources.Rdma is { Count: > 0 } rdma)
            RdmaController.Apply(_files, Require("rdma").Dir, rdma);

        // Last, so the raw map can override anything above (config-linux.md, "Unified").
        if (resources.Unified is { Count: > 0 } unified)
        {
            if (_unified is null)
                throw new CgroupException("linux.resources.unified needs a cgroup v2 hierarchy, and this host has none");
            V2.UnifiedFiles.Apply(_files, _unified.Directory, unified);
        }
    }

    /// <summary>
    /// Engines fill unset resources with zeroes (docker writes <c>"blockIO": {"weight": 0}</c>, <c>"cpu":
    /// {"shares": 0}</c>), and runc, whose libcontainer config has no "unset", skips every zero. A zero weight,
    /// share, period, limit or runtime is out of the kernel's range anyway, so reading zero as "leave alone"
    /// loses nothing and matches what those engines expect.
    /// </summary>
    internal static LinuxResources ZeroMeansUnset(LinuxResources r) => new()
    {
        Devices = r.Devices,
        Memory = r.Memory is { } m ? new LinuxMemory
        {
            Limit = NonZero(m.Limit),
            Reservation = NonZero(m.Reservation),
            Swap = NonZero(m.Swap),
            Kernel = NonZero(m.Kernel),
            KernelTCP = NonZero(m.KernelTCP),
            Swappiness = m.Swappiness,
            DisableOOMKiller = m.DisableOOMKiller,
            UseHierarchy = m.UseHierarchy,
            CheckBeforeUpdate = m.CheckBeforeUpdate,
        } : null,
        Cpu = r.Cpu is { } c ? new LinuxCpu
        {
            Shares = NonZero(c.Shares),
            Quota = NonZero(c.Quota),
            Burst = c.Burst,
            Period = NonZero(c.Period),
            RealtimeRuntime = NonZero(c.RealtimeRuntime),
            RealtimePeriod = NonZero(c.RealtimePeriod),
            Cpus = string.IsNullOrEmpty(c.Cpus) ? null : c.Cpus,
            Mems = string.IsNullOrEmpty(c.Mems) ? null : c.Mems,
            Idle = c.Idle,
        } : null,
        Pids = r.Pids is { Limit: not 0 } ? r.Pids : null,
        BlockIO = r.BlockIO is { } b ? new LinuxBlockIO
        {
            Weight = b.Weight is 0 ? null : b.Weight,
            LeafWeight = b.LeafWeight is 0 ? null : b.LeafWeight,
            WeightDevice = b.WeightDevice,
            ThrottleReadBpsDevice = b.ThrottleReadBpsDevice,
            ThrottleWriteBpsDevice = b.ThrottleWriteBpsDevice,
            ThrottleReadIOPSDevice = b.ThrottleReadIOPSDevice,
            ThrottleWriteIOPSDevice = b.ThrottleWriteIOPSDevice,
        } : null,
        HugepageLimits = r.HugepageLimits,
        Network = r.Network,
        Rdma = r.Rdma,
        Unified = r.Unified,
    };

    private static T? NonZero<T>(T? value) where T : struct, System.Numerics.INumberBase<T> =>
        value is { } v && T.IsZero(v) ? null : value;

    public void AddProcess(int pid)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        foreach (Node n in _nodes)
        {
            try
            {
                _files.Write(n.Directory, "cgroup.procs", Invariant.Str(pid));
            }
            catch (CgroupException) when (n.Hierarchy.IsNamed)
            {
                // As in Create: named hierarchies are best effort.
            }
        }
    }

    public IReadOnlyList<int> GetPids()
    {
        Node? n = _nodes.Find(x => !x.Hierarchy.IsUnified && x.Hierarchy.Controllers.Contains("pids"))
            ?? _nodes.Find(x => !x.Hierarchy.IsUnified && x.Hierarchy.Controllers.Contains("memory"))
            ?? _unified
            ?? throw new CgroupException("no pids, memory or cgroup v2 hierarchy to list the container's processes from");
        var pids = new SortedSet<int>();
        if (Directory.Exists(n.Directory))
            CollectPids(n.Directory, pids);
        return pids.ToArray();
    }

    private static void CollectPids(string dir, SortedSet<int> pids)
    {
        foreach (string line in (CgroupFiles.TryRead(dir, "cgroup.procs") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            pids.Add(int.Parse(line, NumberStyles.Integer, CultureInfo.InvariantCulture));
        foreach (string child in Directory.EnumerateDirectories(dir))
            CollectPids(child, pids);
    }

    public CgroupStats GetStats()
    {
        Target? memory = Find("memory");
        Target? pids = Find("pids");
        Target? cpu = Find("cpu");
        Target? cpuacct = Find("cpuacct");
        CpuStats? cpuStats =
            cpu is { Unified: false } || cpuacct is { Unified: false } ? V1.CpuController.ReadStats(cpu?.Dir, cpuacct?.Dir)
            : _unified is not null ? V2.CpuController.ReadStats(_unified.Directory)
            : null;
        return new CgroupStats
        {
            Memory = memory is not { } m ? null : m.Unified ? V2.MemoryController.ReadStats(m.Dir) : V1.MemoryController.ReadStats(m.Dir),
            Cpu = cpuStats,
            Pids = pids is { } p ? PidsController.ReadStats(p.Dir) : null,
        };
    }

    public void Freeze()
    {
        if (Find("freezer") is { Unified: false } f)
            V1.FreezerController.Freeze(_files, f.Dir);
        else
            V2.FreezerController.Freeze(_files, UnifiedDirectory("freezing"));
    }

    public void Thaw()
    {
        if (Find("freezer") is { Unified: false } f)
            _files.Write(f.Dir, "freezer.state", "THAWED");
        else
            _files.Write(UnifiedDirectory("thawing"), "cgroup.freeze", "0");
    }

    public bool IsFrozen() =>
        Find("freezer") is { Unified: false } f
            ? V1.FreezerController.IsFrozen(f.Dir)
            : V2.FreezerController.IsFrozen(UnifiedDirectory("the freezer state"));

    /// <summary>
    /// Removes the container's directory in each hierarchy, with any sub-cgroups in it, and nothing above:
    /// as with runc, a parent made for an absolute path stays, since another container may be using it.
    /// </summary>
    public void Destroy()
    {
        var errors = new List<CgroupException>();
        foreach (Node n in _nodes)
        {
            try
            {
                _files.RemoveDirectory(n.Directory);
            }
            catch (CgroupException e) when (!n.Hierarchy.IsNamed)
            {
                errors.Add(e);
            }
            catch (CgroupException)
            {
                // Named hierarchies are best effort.
            }
        }
        if (errors.Count == 1)
            throw errors[0];
        if (errors.Count > 1)
            throw new CgroupException(string.Join("; ", errors.Select(e => e.Message)), new AggregateException(errors));
    }

    private string UnifiedDirectory(string operation) =>
        _unified?.Directory ?? throw new CgroupException($"{operation} needs the v1 freezer or cgroup v2, and this host has neither");

    private readonly record struct Target(string Dir, bool Unified);

    private Target? Find(string controller)
    {
        foreach (Node n in _nodes)
        {
            if (!n.Hierarchy.IsUnified && n.Hierarchy.Controllers.Contains(controller))
                return new Target(n.Directory, false);
        }
        return _unified is not null && UnifiedControllers.Contains(controller) ? new Target(_unified.Directory, true) : null;
    }

    private Target Require(string controller)
    {
        Target t = Find(controller) ?? throw Unavailable(controller);
        if (t.Unified && CgroupFiles.TryRead(t.Dir, "cgroup.controllers") is { } listed && !Tokens(listed).Contains(controller))
        {
            throw new CgroupException(
                $"the {controller} controller is not enabled for {t.Dir}: an ancestor's cgroup.subtree_control lacks it (is a process in a parent cgroup? cgroup-v2.rst \"No Internal Process Constraint\")",
                Path.Combine(t.Dir, "cgroup.controllers"), null);
        }
        return t;
    }

    private static CgroupException Unavailable(string controller) =>
        new($"the {controller} cgroup controller is needed but is neither mounted as a cgroup v1 hierarchy nor available in cgroup v2");

    /// <summary>The controllers the cgroup2 hierarchy offers (its root's cgroup.controllers).</summary>
    private HashSet<string> UnifiedControllers => _unifiedControllers ??=
        _unified is null ? [] : Tokens(CgroupFiles.TryRead(_unified.Hierarchy.MountPoint, "cgroup.controllers") ?? "");

    private static HashSet<string> Tokens(string text) =>
        text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

    private static string Normalize(string path)
    {
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains(".."))
            throw new ArgumentException($"cgroups path \"{path}\" must not contain \"..\"", nameof(path));
        if (parts.Length == 0)
            throw new ArgumentException("cgroups path must name a cgroup below the root", nameof(path));
        return "/" + string.Join('/', parts);
    }

    private static string Join(string parent, string child) => parent.TrimEnd('/') + child;

    /// <summary>The container's cgroup in one hierarchy: its path there and its directory.</summary>
    private sealed class Node(CgroupHierarchy hierarchy, string cgroupPath, string directory)
    {
        public CgroupHierarchy Hierarchy { get; } = hierarchy;
        public string CgroupPath { get; } = cgroupPath;
        public string Directory { get; } = directory;

        /// <summary>Made by <see cref="Prepare"/> already.</summary>
        public bool Made { get; set; }

        /// <summary>The mount point, then each directory down to <see cref="Directory"/>.</summary>
        public List<string> Levels()
        {
            string mount = Hierarchy.MountPoint.TrimEnd('/');
            var levels = new List<string> { Hierarchy.MountPoint };
            string current = mount;
            foreach (string part in Directory[mount.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                current += "/" + part;
                levels.Add(current);
            }
            return levels;
        }
    }
}
