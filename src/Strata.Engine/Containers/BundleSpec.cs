using System.Globalization;
using Strata.Engine.Volumes;
using Strata.Linux;
using Strata.Oci.Image;
using Strata.Oci.Runtime;


namespace Strata.Engine.Containers;

/// <summary>
/// Turns an image config plus `run` flags into a runtime-spec config.json (the mapping of image-spec
/// conversion.md): Entrypoint+Cmd become process.args, Env is merged, WorkingDir becomes cwd, User is
/// resolved against the image's own /etc/passwd and /etc/group. Defaults are runc spec's.
/// </summary>
public static class BundleSpec
{
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static Spec Create(ImageConfig image, RunOptions options, string rootfs, string hostname)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        var config = image.Config ?? new ContainerConfig();
        var spec = RuntimeDefaults.Create(rootless: Strata.Linux.Sys.EffectiveUserId != 0);
        var process = spec.Process!;
        var cmd = options.Command.Count > 0 ? options.Command : (IReadOnlyList<string>)(config.Cmd ?? []);
        var args = (config.Entrypoint ?? []).Concat(cmd).ToList();
        if (args.Count == 0)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "no command: the image has neither Entrypoint nor Cmd, and none was given");
        }
        process.Args = args;
        process.Terminal = options.Tty;
        process.Env = MergeEnv(config.Env, options.Env, options.Tty);
        process.Cwd = options.WorkingDir ?? (string.IsNullOrEmpty(config.WorkingDir) ? "/" : config.WorkingDir);
        if (!process.Cwd.StartsWith('/'))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"working directory '{process.Cwd}' is not absolute");
        }
        var (uid, gid) = ResolveUser(options.User ?? config.User, rootfs);
        process.User = new User { Uid = uid, Gid = gid };
        spec.Root = new Root { Path = "rootfs", Readonly = options.ReadOnly };
        spec.Hostname = hostname;
        foreach (var volume in options.Volumes)
        {
            spec.Mounts!.Add(ParseVolume(volume));
        }
        var linux = spec.Linux!;
        if (options.Network == "host")
        {
            linux.Namespaces!.RemoveAll(n => n.Type == "network");
            // With the host's network, the host's name resolution applies too.
            foreach (var file in new[] { "/etc/resolv.conf", "/etc/hosts" })
            {
                if (File.Exists(file))
                {
                    spec.Mounts!.Add(new Mount { Destination = file, Type = "bind", Source = file, Options = ["rbind", "ro"] });
                }
            }
        }
        else if (options.Network != "none")
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"network '{options.Network}' is not supported: use none or host");
        }
        if (options.MemoryBytes is { } memory || options.Cpus is not null || options.PidsLimit is not null)
        {
            linux.Resources ??= new LinuxResources();
            if (options.MemoryBytes is { } m)
            {
                linux.Resources.Memory = new LinuxMemory { Limit = m };
            }
            if (options.Cpus is { } cpus)
            {
                // docker's --cpus: a CFS quota of cpus × the 100 ms period.
                linux.Resources.Cpu = new LinuxCpu { Period = 100_000, Quota = (long)Math.Round(cpus * 100_000) };
            }
            if (options.PidsLimit is { } pids)
            {
                linux.Resources.Pids = new LinuxPids { Limit = pids };
            }
        }
        return spec;
    }

    public static List<string> MergeEnv(IEnumerable<string>? image, IEnumerable<string> overrides, bool tty)
    {
        var env = new List<string>();
        void Set(string entry)
        {
            var key = entry.Split('=', 2)[0];
            env.RemoveAll(e => e.Split('=', 2)[0] == key);
            env.Add(entry);
        }
        foreach (var e in image ?? [])
        {
            Set(e);
        }
        foreach (var e in overrides)
        {
            if (e.Contains('=', StringComparison.Ordinal))
            {
                Set(e);
            }
            else if (Environment.GetEnvironmentVariable(e) is { } value)
            {
                Set($"{e}={value}");
            }
        }
        if (!env.Exists(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
        {
            env.Insert(0, DefaultPath);
        }
        if (tty && !env.Exists(e => e.StartsWith("TERM=", StringComparison.Ordinal)))
        {
            env.Add("TERM=xterm");
        }
        return env;
    }

    /// <summary>
    /// A -v bind for a container run without the daemon, by the engine's one parser (docker's syntax and
    /// messages). A relative source starting with "." is made absolute first, as the docker CLI does; a
    /// missing source is created, as dockerd does. Named volumes live in the daemon's volume store.
    /// </summary>
    public static Mount ParseVolume(string volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var colon = volume.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && volume[0] == '.')
        {
            volume = Path.GetFullPath(volume[..colon]) + volume[colon..];
        }
        var point = MountParser.ParseBind(volume);
        if (point.Type != MountTypes.Bind)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"volume '{volume}': named and anonymous volumes need the daemon (strata daemon); without it only host paths can be mounted");
        }
        Directory.CreateDirectory(point.Source);
        var options = new List<string> { "rbind" };
        if (!point.RW)
        {
            options.Add("ro");
        }
        options.Add(point.Propagation);
        return new Mount { Destination = point.Destination, Type = "bind", Source = point.Source, Options = options };
    }

    /// <summary>
    /// uid[:gid] or name[:group]. Names are read from the image's files through <see cref="RootedPath"/>, so
    /// an /etc/passwd symlinked out of the image cannot make strata read a host file.
    /// </summary>
    public static (uint Uid, uint Gid) ResolveUser(string? user, string rootfs)
    {
        if (string.IsNullOrEmpty(user))
        {
            return (0, 0);
        }
        var parts = user.Split(':', 2);
        uint uid;
        uint? gid = null;
        if (uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var u))
        {
            uid = u;
            gid = FindEntry(rootfs, "etc/passwd", e => e.Length > 3 && e[2] == parts[0]) is { } byUid && uint.TryParse(byUid[3], CultureInfo.InvariantCulture, out var g0) ? g0 : null;
        }
        else
        {
            var entry = FindEntry(rootfs, "etc/passwd", e => e[0] == parts[0])
                ?? throw new EngineException(EngineErrorCode.InvalidArgument, $"user '{parts[0]}' is not in the image's /etc/passwd");
            uid = uint.Parse(entry[2], CultureInfo.InvariantCulture);
            gid = uint.Parse(entry[3], CultureInfo.InvariantCulture);
        }
        if (parts.Length == 2)
        {
            if (uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var g))
            {
                gid = g;
            }
            else
            {
                var entry = FindEntry(rootfs, "etc/group", e => e[0] == parts[1])
                    ?? throw new EngineException(EngineErrorCode.InvalidArgument, $"group '{parts[1]}' is not in the image's /etc/group");
                gid = uint.Parse(entry[2], CultureInfo.InvariantCulture);
            }
        }
        return (uid, gid ?? 0);
    }

    private static string[]? FindEntry(string rootfs, string file, Func<string[], bool> match)
    {
        var slash = file.LastIndexOf('/');
        var dir = RootedPath.Resolve(rootfs, file[..slash], createMissing: false);
        if (dir is null)
        {
            return null;
        }
        var path = dir + "/" + file[(slash + 1)..];
        if (new FileInfo(path).LinkTarget is not null || !File.Exists(path))
        {
            return null;
        }
        return File.ReadLines(path).Select(l => l.Split(':')).FirstOrDefault(e => e.Length >= 3 && match(e));
    }
}
