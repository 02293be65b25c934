using System.Globalization;
using Strata.Engine.Containers;
using Strata.Images;
using Strata.Linux;
using Strata.Oci.Runtime;

namespace Strata.Engine.UserNamespaces;

/// <summary>
/// User namespaces for engine containers, so container root is not host root. HostConfig.UsernsMode "host"
/// keeps the host's; "auto[:size=N,uidmapping=C:H:S,gidmapping=C:H:S]" (podman's) takes a free block of the
/// subordinate ids of the user "containers"; empty takes the daemon's --userns-remap range (dockerd's:
/// "default" is the user dockremap, given a range in the subuid and subgid files if it has none) or the
/// host's without one. At create the mapping is chosen and kept in the container's directory (it is the
/// allocation, freed with the container); at each start the rootfs is mounted through it
/// (<see cref="LayerMapper"/>) and the spec gets the user namespace, /sys bound as rootless containers have
/// it, and the container's own files (/etc/hosts and co., named volumes' fresh data dirs) owned by its root.
/// </summary>
public sealed class UserNamespaceHook : IContainerHook, IRootfsMounter
{
    private readonly ImageService _images;
    private readonly UserNamespaceOptions _options;
    private readonly string _containers;
    private readonly string _volumes;
    private readonly Lock _allocate = new();
    private readonly IReadOnlyList<IdMap>? _remapUids;
    private readonly IReadOnlyList<IdMap>? _remapGids;

    /// <exception cref="ArgumentException">--userns-remap names a user without subordinate ids.</exception>
    public UserNamespaceHook(ImageService images, string containersDir, string volumesDir, UserNamespaceOptions options)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        _images = images;
        _options = options;
        _containers = containersDir;
        _volumes = volumesDir;
        Layers = new LayerMapper(images.Root, options.Layers);
        if (options.Remap is { Length: > 0 } remap)
        {
            (_remapUids, _remapGids) = ResolveRemap(remap, options);
        }
    }

    public LayerMapper Layers { get; }

    /// <summary>Whether --userns-remap is on (docker info's "name=userns").</summary>
    public bool Remapping => _remapUids is not null;

    /// <summary>The remapped root, "UID:GID", or null.</summary>
    public string? RemappedRoot => _remapUids is null ? null : $"{IdMap.ToHost(_remapUids, 0)}:{IdMap.ToHost(_remapGids!, 0)}";

    public async Task CreateAsync(ContainerHookContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.HostConfig;
        var mode = host.UsernsMode ?? "";
        string kind;
        AutoOptions? auto = null;
        if (mode == "host" || (mode.Length == 0 && !Remapping))
        {
            return;
        }
        if (mode.Length == 0)
        {
            kind = "remap";
        }
        else if (mode == "auto" || mode.StartsWith("auto:", StringComparison.Ordinal))
        {
            kind = "auto";
            auto = AutoOptions.Parse(mode);
        }
        else
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid USER mode: {mode}");
        }
        // moby's verifyPlatformContainerSettings.
        if (host.Privileged)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode");
        }
        if (host.NetworkMode == "host")
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "cannot share the host's network namespace when user namespaces are enabled");
        }
        if (host.PidMode == "host")
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "cannot share the host PID namespace when user namespaces are enabled");
        }
        var layers = await LayersAsync(context, cancellationToken).ConfigureAwait(false);
        ContainerUserNamespace ns;
        if (auto is null)
        {
            ns = new ContainerUserNamespace(kind, _remapUids!, _remapGids!);
            ns.Write(context.Directory);
        }
        else
        {
            var size = auto.Size ?? Math.Max(RangeAllocator.MinSize, Layers.HighestId(layers) + 1);
            if (auto.Size is null && size > RangeAllocator.MaxSize)
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"the container needs a user namespace with size {size} that is bigger than the maximum value allowed with userns=auto {RangeAllocator.MaxSize}");
            }
            lock (_allocate)
            {
                var others = Allocated().Where(a => a.Id != context.Id).Select(a => a.Namespace).ToList();
                var uids = RangeAllocator.Allocate(Pool(_options.SubuidFile), [.. others.SelectMany(o => o.Uids), .. _remapUids ?? []], size, auto.UidMappings);
                var gids = RangeAllocator.Allocate(Pool(_options.SubgidFile), [.. others.SelectMany(o => o.Gids), .. _remapGids ?? []], size, auto.GidMappings);
                ns = new ContainerUserNamespace(kind, uids, gids);
                if (IdMap.ToHost(uids, 0) is null || IdMap.ToHost(gids, 0) is null)
                {
                    throw new EngineException(EngineErrorCode.InvalidArgument, "the user namespace must map root (container id 0)");
                }
                ns.Write(context.Directory);
            }
        }
        if (context.Container.Snapshotter != "overlay")
        {
            // The copy snapshotter's rootfs is the container's own: shifted in place.
            var rootfs = Path.Combine(context.Directory, "bundle", "rootfs");
            if (Directory.Exists(rootfs))
            {
                LayerMapper.Shift(rootfs, ns);
            }
        }
    }

    public Task<bool> MountAsync(ContainerHookContext context, string rootfs, IReadOnlyList<string> layers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ContainerUserNamespace.Read(context.Directory) is not { } ns)
        {
            return Task.FromResult(false);
        }
        var used = Layers.Mount(context.Directory, rootfs, layers, ns);
        File.WriteAllText(Path.Combine(context.Directory, ContainerUserNamespace.LayersFileName), used + "\n");
        return Task.FromResult(true);
    }

    public Task PrepareAsync(ContainerStartContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ContainerUserNamespace.Read(context.Directory) is not { } ns)
        {
            return Task.CompletedTask;
        }
        var spec = context.Spec;
        var linux = spec.Linux ??= new Strata.Oci.Runtime.Linux();
        linux.Namespaces ??= [];
        if (!linux.Namespaces.Any(n => n.Type == "user"))
        {
            linux.Namespaces.Add(new LinuxNamespace { Type = "user" });
        }
        linux.UidMappings = IdMap.ToSpec(ns.Uids);
        linux.GidMappings = IdMap.ToSpec(ns.Gids);
        // A fresh sysfs needs a network namespace owned by the container's user namespace; the engine's are
        // the host's (CNI makes them): bind the host's /sys read-only, as rootless containers have it.
        var mounts = spec.Mounts ??= [];
        var sys = mounts.FindIndex(m => m.Destination == "/sys" && m.Type == "sysfs");
        if (sys >= 0)
        {
            mounts[sys] = new Mount { Destination = "/sys", Type = "none", Source = "/sys", Options = ["rbind", "nosuid", "noexec", "nodev", "ro"] };
        }
        foreach (var file in new[] { context.HostsPath, context.HostnamePath, context.ResolvConfPath })
        {
            if (File.Exists(file))
            {
                FileMetadata.Lchown(file, ns.RootUid, ns.RootGid);
            }
        }
        // docker (userns-remap) makes volumes' data dirs the remapped root's; binds stay as they are.
        foreach (var m in mounts)
        {
            if (m.Source is { } source && source.StartsWith(_volumes + "/", StringComparison.Ordinal) && Path.GetFileName(source) == "_data" && Directory.Exists(source)
                && IdMap.ToContainer(ns.Uids, FileMetadata.Lstat(source).Uid) is null)
            {
                FileMetadata.Lchown(source, ns.RootUid, ns.RootGid);
            }
        }
        // The working directory the spec made in the upper dir (as host root) is the container root's.
        if (spec.Process?.Cwd is { Length: > 1 } cwd)
        {
            var upper = Path.Combine(context.Directory, "upper");
            var path = upper;
            foreach (var part in cwd.Trim('/').Split('/'))
            {
                path = Path.Combine(path, part);
                if (!Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
                {
                    break;
                }
                var st = FileMetadata.Lstat(path);
                if (IdMap.ToContainer(ns.Uids, st.Uid) is null)
                {
                    FileMetadata.Lchown(path, ns.RootUid, ns.RootGid);
                }
            }
        }
        return Task.CompletedTask;
    }

    public Task ReleaseAsync(ContainerHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The mapping of every container that has one (the allocations), by container id.</summary>
    public IReadOnlyList<(string Id, ContainerUserNamespace Namespace)> Allocated()
    {
        if (!Directory.Exists(_containers))
        {
            return [];
        }
        var result = new List<(string, ContainerUserNamespace)>();
        foreach (var dir in Directory.EnumerateDirectories(_containers))
        {
            if (ContainerUserNamespace.Read(dir) is { } ns)
            {
                result.Add((Path.GetFileName(dir), ns));
            }
        }
        return result;
    }

    private static IReadOnlyList<(uint Start, uint Count)> Pool(string file)
    {
        var pool = SubordinateIds.Read(file, UserNamespaceOptions.AutoUser);
        return pool.Count > 0
            ? pool
            : throw new EngineException(EngineErrorCode.InvalidArgument,
                $"--userns=auto needs subordinate ids of the user \"{UserNamespaceOptions.AutoUser}\" in {file} (e.g. {UserNamespaceOptions.AutoUser}:2147483647:2147483648)");
    }

    private async Task<IReadOnlyList<string>> LayersAsync(ContainerHookContext context, CancellationToken cancellationToken)
    {
        if (context.Container.Snapshotter != "overlay")
        {
            return [Path.Combine(context.Directory, "bundle", "rootfs")];
        }
        var manifest = ImageService.ParseManifest(_images.Content.ReadAll(context.Container.Manifest), context.Container.Image);
        var config = ImageService.ParseConfig(_images.Content.ReadAll(manifest.Config!.Digest), context.Container.Image);
        return await _images.Snapshots.EnsureAsync(manifest, config, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// dockerd's --userns-remap: the user's (and group's) subordinate ranges, mapped one after another from
    /// container id 0. "default" is dockremap, which dockerd gives a 65536-id range above every existing one
    /// when it has none.
    /// </summary>
    private static (IReadOnlyList<IdMap>, IReadOnlyList<IdMap>) ResolveRemap(string remap, UserNamespaceOptions options)
    {
        var parts = remap.Split(':');
        if (parts.Length > 2 || parts.Any(p => p.Length == 0))
        {
            throw new ArgumentException($"--userns-remap {remap}: expected default or USER[:GROUP]");
        }
        var user = parts[0] == "default" ? UserNamespaceOptions.DefaultRemapUser : parts[0];
        var group = parts.Length == 2 ? parts[1] : user;
        if (parts[0] == "default")
        {
            EnsureRange(options.SubuidFile, user);
            EnsureRange(options.SubgidFile, group);
        }
        return (Consecutive(SubordinateIds.Read(options.SubuidFile, Names(user, "/etc/passwd")), options.SubuidFile, user),
            Consecutive(SubordinateIds.Read(options.SubgidFile, Names(group, "/etc/group")), options.SubgidFile, group));
    }

    private static string[] Names(string name, string database)
    {
        if (File.Exists(database))
        {
            foreach (var line in File.ReadLines(database))
            {
                var f = line.Split(':');
                if (f.Length > 2 && (f[0] == name || f[2] == name))
                {
                    return [f[0], f[2]];
                }
            }
        }
        return [name];
    }

    private static List<IdMap> Consecutive(IReadOnlyList<(uint Start, uint Count)> ranges, string file, string name)
    {
        if (ranges.Count == 0)
        {
            throw new ArgumentException($"--userns-remap: no subordinate ids for {name} in {file}");
        }
        var maps = new List<IdMap>();
        uint next = 0;
        foreach (var (start, count) in ranges)
        {
            maps.Add(new IdMap(next, start, count));
            next += count;
        }
        return maps;
    }

    private static void EnsureRange(string file, string name)
    {
        if (SubordinateIds.Read(file, name).Count > 0)
        {
            return;
        }
        // dockerd's createSubordinateRanges: the first 65536 ids from 100000 that no entry uses.
        const uint size = 65536;
        ulong start = 100000;
        foreach (var (s, c) in SubordinateIds.ReadAll(file).OrderBy(r => r.Start))
        {
            if (start + size > s && start < (ulong)s + c)
            {
                start = (ulong)s + c;
            }
        }
        var text = File.Exists(file) ? File.ReadAllText(file) : "";
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            text += "\n";
        }
        File.WriteAllText(file, text + string.Create(CultureInfo.InvariantCulture, $"{name}:{start}:{size}\n"));
    }

    /// <summary>podman's auto options: size=N, uidmapping=C:H:S, gidmapping=C:H:S (each mapping may repeat).</summary>
    private sealed record AutoOptions(uint? Size, IReadOnlyList<IdMap> UidMappings, IReadOnlyList<IdMap> GidMappings)
    {
        public static AutoOptions Parse(string mode)
        {
            uint? size = null;
            List<IdMap> uids = [], gids = [];
            var colon = mode.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return new AutoOptions(null, uids, gids);
            }
            foreach (var option in mode[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = option.IndexOf('=', StringComparison.Ordinal);
                var (key, value) = eq < 0 ? (option, "") : (option[..eq], option[(eq + 1)..]);
                switch (key)
                {
                    case "size":
                        size = uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                            ? n : throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid userns size '{value}'");
                        break;
                    case "uidmapping":
                        uids.Add(IdMap.Parse(value));
                        break;
                    case "gidmapping":
                        gids.Add(IdMap.Parse(value));
                        break;
                    default:
                        throw new EngineException(EngineErrorCode.InvalidArgument, $"unknown option for userns auto: {option}");
                }
            }
            return new AutoOptions(size, uids, gids);
        }
    }
}
