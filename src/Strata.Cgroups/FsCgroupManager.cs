using System.Globalization;
using Strata.Oci.Runtime;

namespace Strata.Cgroups;

/// <summary>
/// A container's cgroup in every hierarchy of a <see cref="CgroupHost"/>, driven through cgroupfs. Each
/// controller is served by the v1 hierarchy that binds it or, failing that, by the cgroup2 hierarchy when
/// it lists the controller (on hybrid hosts that is how e.g. hugetlb is reached): resources are bound to a
/// v1 or a v2 <see cref="IController"/> once, by <see cref="Bind"/>.
/// </summary>
internal sealed class FsCgroupManager : ICgroupManager
{
    private readonly CgroupFiles _files;
    private readonly Action<string> _warn;
    private readonly List<Node> _nodes;
    private readonly Node? _unified;
    private HashSet<string>? _unifiedControllers;
    private readonly Binding?[] _bindings = new Binding?[ResourceControllers.All.Count];
    private (IFreezer Freezer, string? Directory)? _freezer;

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

    /// <summary>
    /// Each part of the resources that the config asks for goes to the controller bound to it (see
    /// <see cref="ResourceControllers"/>), in the order they are listed there.
    /// </summary>
    public void Apply(LinuxResources? resources)
    {
        if (resources is null)
            return;
        resources = ZeroMeansUnset(resources);
        IReadOnlyList<ResourceControllers> all = ResourceControllers.All;
        for (int i = 0; i < all.Count; i++)
        {
            ResourceControllers resource = all[i];
            if (!resource.IsAsked(resources))
                continue;
            Binding binding = _bindings[i] ??= Bind(resource);
            if (binding.Controller is not { } controller)
            {
                if (resource.IsRequired?.Invoke(resources) ?? true)
                    throw resource.MissingMessage is { } message ? new CgroupException(message) : Unavailable(resource.ControllerName);
                continue;
            }
            if (binding.Unified && controller.Name is { } name)
                RequireEnabled(binding.Directory, name);
            controller.Apply(_files, binding.Directory, resources, _warn);
        }
    }

    /// <summary>
    /// The controller a resource goes to on this host, chosen once: the v1 one where a v1 hierarchy binds
    /// its controller, else the v2 one where the cgroup2 hierarchy offers it (on hybrid hosts that is how
    /// e.g. hugetlb is reached), else none.
    /// </summary>
    private Binding Bind(ResourceControllers resource)
    {
        if (resource.V1 is { Name: { } v1Name } v1 && _nodes.Find(n => !n.Hierarchy.IsUnified && n.Hierarchy.Controllers.Contains(v1Name)) is { } node)
            return new Binding(v1, node.Directory, Unified: false);
        if (resource.V2 is { } v2 && _unified is not null && (v2.Name is null || UnifiedControllers.Contains(v2.Name)))
            return new Binding(v2, _unified.Directory, Unified: true);
        return new Binding(null, "", Unified: false);
    }

    private readonly record struct Binding(IController? Controller, string Directory, bool Unified);

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
            BlockIo = Find("blkio") is { Unified: false } blkio ? V1.BlkioController.ReadStats(blkio.Dir)
                : Find("io") is { Unified: true } io ? V2.IoController.ReadStats(io.Dir)
                : null,
            Pressure = _unified is null ? null : ReadPressure(_unified.Directory),
        };
    }

    /// <summary>
    /// The *.pressure files exist in every cgroup2 cgroup when the kernel has PSI, whichever controllers are
    /// enabled there, so on a hybrid host they come from the cgroup2 directory the container's tasks also join.
    /// </summary>
    private static PressureStats? ReadPressure(string dir)
    {
        var stats = new PressureStats
        {
            Cpu = Pressure.Parse(TryReadPressure(dir, "cpu.pressure")),
            Memory = Pressure.Parse(TryReadPressure(dir, "memory.pressure")),
            Io = Pressure.Parse(TryReadPressure(dir, "io.pressure")),
        };
        return stats.Cpu is null && stats.Memory is null && stats.Io is null ? null : stats;
    }

    /// <summary>With PSI off (psi=0, or cgroup.pressure 0) the files exist but reading them fails (EOPNOTSUPP): no figures, no error.</summary>
    private static string? TryReadPressure(string dir, string file)
    {
        try
        {
            return CgroupFiles.TryRead(dir, file);
        }
        catch (CgroupException)
        {
            return null;
        }
    }

    public void Freeze() => Freezer("freezing", out string dir).Freeze(_files, dir);

    public void Thaw() => Freezer("thawing", out string dir).Thaw(_files, dir);

    public bool IsFrozen() => Freezer("the freezer state", out string dir).IsFrozen(dir);

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

    /// <summary>The v1 freezer where a v1 hierarchy binds it, else cgroup v2's, chosen once.</summary>
    private IFreezer Freezer(string operation, out string directory)
    {
        _freezer ??= Find("freezer") is { Unified: false } f ? (new V1.FreezerController(), f.Dir)
            : (new V2.FreezerController(), _unified?.Directory);
        directory = _freezer.Value.Directory
            ?? throw new CgroupException($"{operation} needs the v1 freezer or cgroup v2, and this host has neither");
        return _freezer.Value.Freezer;
    }

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

    /// <summary>A v2 controller the hierarchy offers is usable in a cgroup only if every ancestor enabled it.</summary>
    private static void RequireEnabled(string dir, string controller)
    {
        if (CgroupFiles.TryRead(dir, "cgroup.controllers") is { } listed && !Tokens(listed).Contains(controller))
        {
            throw new CgroupException(
                $"the {controller} controller is not enabled for {dir}: an ancestor's cgroup.subtree_control lacks it (is a process in a parent cgroup? cgroup-v2.rst \"No Internal Process Constraint\")",
                Path.Combine(dir, "cgroup.controllers"), null);
        }
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
