using System.Globalization;
using System.Text.Json;
using Strata.Linux;
using Strata.Oci.Image;
using Strata.Oci.Runtime;

namespace Strata.Engine.Containers;

/// <summary>
/// A docker container's config.json: the image's config merged into the create request's Config at create
/// (<see cref="Merge"/>, moby's daemon merge), then Config + HostConfig mapped onto the runtime-spec at every
/// start (<see cref="Create"/>, moby's daemon/oci_linux.go): process, resources, capabilities on docker's
/// default set, privileged, read-only rootfs, sysctls, ulimits, devices, security options with docker's default
/// seccomp profile unless unconfined.
/// </summary>
public static class DockerSpec
{
    /// <summary>The image's config under the request's, as dockerd stores a container's Config.</summary>
    public static CreateConfig Merge(CreateConfig request, ImageConfig image, string imageName)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(image);
        var config = request.CopyConfig();
        var img = image.Config ?? new Oci.Image.ContainerConfig();
        config.Image = imageName;
        if (config.Entrypoint is { Count: 1 } e && e[0].Length == 0)
        {
            config.Entrypoint = []; // --entrypoint "": no entrypoint, not the image's
        }
        else if (config.Entrypoint is null or { Count: 0 })
        {
            if (config.Cmd is null or { Count: 0 })
            {
                config.Cmd = img.Cmd is null ? null : [.. img.Cmd];
            }
            config.Entrypoint ??= img.Entrypoint is null ? null : [.. img.Entrypoint];
        }
        config.Env = BundleSpec.MergeEnv(img.Env, config.Env ?? [], tty: false);
        if (string.IsNullOrEmpty(config.WorkingDir))
        {
            config.WorkingDir = img.WorkingDir ?? "";
        }
        if (string.IsNullOrEmpty(config.User))
        {
            config.User = img.User ?? "";
        }
        if (img.Labels is { Count: > 0 })
        {
            var labels = new Dictionary<string, string>(img.Labels, StringComparer.Ordinal);
            foreach (var (k, v) in config.Labels ?? [])
            {
                labels[k] = v;
            }
            config.Labels = labels;
        }
        config.Labels ??= [];
        if (img.ExposedPorts is { Count: > 0 })
        {
            config.ExposedPorts ??= [];
            foreach (var (k, v) in img.ExposedPorts)
            {
                config.ExposedPorts.TryAdd(k, v);
            }
        }
        if (img.Volumes is { Count: > 0 })
        {
            config.Volumes ??= [];
            foreach (var (k, v) in img.Volumes)
            {
                config.Volumes.TryAdd(k, v);
            }
        }
        config.Healthcheck = Health.HealthcheckConfig.Merge(config.Healthcheck, img.Extensions?.GetValueOrDefault("Healthcheck"));
        if (string.IsNullOrEmpty(config.StopSignal) && image.Config?.StopSignal is { Length: > 0 } stop)
        {
            config.StopSignal = stop;
        }
        if ((config.Entrypoint?.Count ?? 0) + (config.Cmd?.Count ?? 0) == 0)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "no command specified");
        }
        return config;
    }

    /// <summary>Checks what can be checked before anything exists (docker's create-time 400s).</summary>
    public static IReadOnlyList<string> Validate(CreateConfig config, HostConfig host)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(host);
        var warnings = new List<string>();
        if (Health.HealthcheckConfig.Validate(config.Healthcheck) is { } healthError)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, healthError);
        }
        if (host.Memory is > 0 and < 6 * 1024 * 1024)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "Minimum memory limit allowed is 6MB");
        }
        if (host.NanoCpus != 0 && (host.CpuQuota != 0 || host.CpuPeriod != 0))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "Conflicting options: Nano CPUs and CPU Period cannot both be set");
        }
        if (host.NanoCpus < 0 || host.NanoCpus > (long)Environment.ProcessorCount * 1_000_000_000)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"Range of CPUs is from 0.01 to {Environment.ProcessorCount}.00, as there are only {Environment.ProcessorCount} CPUs available");
        }
        if (host.CpuShares < 0)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "invalid CPU shares: must not be negative");
        }
        RestartPolicies.Validate(host.RestartPolicy, host.AutoRemove);
        foreach (var cap in (host.CapAdd ?? []).Concat(host.CapDrop ?? []))
        {
            _ = NormalizeCapability(cap);
        }
        foreach (var u in host.Ulimits ?? [])
        {
            _ = RlimitName(u.Name);
            if (u.Soft > u.Hard)
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"ulimit soft limit must be less than or equal to hard limit: {u.Soft} > {u.Hard}");
            }
        }
        foreach (var opt in host.SecurityOpt ?? [])
        {
            _ = ParseSecurityOpt(opt);
        }
        if (config.StopSignal is { Length: > 0 } signal && Signals.Parse(signal) is null)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"Invalid signal: {signal}");
        }
        if (host.Init == true)
        {
            warnings.Add("--init is not supported by this engine: the container's command runs as its pid 1");
        }
        return warnings;
    }

    /// <summary>config.json for one start of the container.</summary>
    /// <param name="rootfs">The mounted rootfs: the user is resolved against its /etc/passwd and /etc/group, the working directory made in it.</param>
    public static Spec Create(string id, CreateConfig config, HostConfig host, string rootfs)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(host);
        var spec = RuntimeDefaults.Create(rootless: Sys.EffectiveUserId != 0);
        var process = spec.Process!;
        var linux = spec.Linux!;
        process.Args = [.. (config.Entrypoint ?? []).Concat(config.Cmd ?? [])];
        process.Terminal = config.Tty;
        // HostConfig.ConsoleSize [height, width] (API 1.42+: docker run -t sends the client's), so the program's
        // first look at its terminal sees the client's size, not 0x0 before the first resize arrives.
        if (config.Tty && host.Extra?.TryGetValue("ConsoleSize", out var size) == true && size.ValueKind == System.Text.Json.JsonValueKind.Array
            && size.GetArrayLength() == 2 && size[0].TryGetUInt32(out var height) && size[1].TryGetUInt32(out var width) && height > 0 && width > 0)
        {
            process.ConsoleSize = new Box { Height = height, Width = width };
        }
        var hostname = string.IsNullOrEmpty(config.Hostname) ? id[..12] : config.Hostname;
        var env = BundleSpec.MergeEnv(["HOSTNAME=" + hostname], config.Env ?? [], config.Tty);
        process.Env = env;
        process.Cwd = string.IsNullOrEmpty(config.WorkingDir) ? "/" : config.WorkingDir;
        if (!process.Cwd.StartsWith('/'))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"the working directory '{process.Cwd}' is invalid, it needs to be an absolute path");
        }
        // docker makes a missing working directory (inside the rootfs, never through a symlink out of it).
        if (process.Cwd != "/")
        {
            RootedPath.ResolveCreating(rootfs, process.Cwd.TrimStart('/'));
        }
        var (uid, gid) = BundleSpec.ResolveUser(config.User, rootfs);
        process.User = new User { Uid = uid, Gid = gid, Umask = host.Umask };
        if (host.GroupAdd is { Count: > 0 } groups)
        {
            process.User.AdditionalGids = [.. groups.Select(g => uint.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
                : throw new EngineException(EngineErrorCode.InvalidArgument, $"group '{g}': only numeric groups are supported"))];
        }
        if (host.OomScoreAdj != 0)
        {
            process.OomScoreAdj = host.OomScoreAdj;
        }
        spec.Root = new Root { Path = "rootfs", Readonly = host.ReadonlyRootfs };
        spec.Hostname = hostname;
        if (!string.IsNullOrEmpty(config.Domainname))
        {
            spec.Domainname = config.Domainname;
        }
        if (host.ShmSize > 0)
        {
            var shm = spec.Mounts!.First(m => m.Destination == "/dev/shm");
            shm.Options = [.. shm.Options!.Where(o => !o.StartsWith("size=", StringComparison.Ordinal)), "size=" + host.ShmSize.ToString(CultureInfo.InvariantCulture)];
        }
        ApplyNamespaces(linux, host);
        if (linux.Resources is not null)
        {
            ApplyResources(linux.Resources, host);
        }
        if (host.Sysctls is { Count: > 0 })
        {
            linux.Sysctl = new Dictionary<string, string>(host.Sysctls, StringComparer.Ordinal);
        }
        if (host.Ulimits is { Count: > 0 })
        {
            process.Rlimits ??= [];
            foreach (var u in host.Ulimits)
            {
                var type = RlimitName(u.Name);
                process.Rlimits.RemoveAll(r => r.Type == type);
                process.Rlimits.Add(new PosixRlimit { Type = type, Soft = Unlimited(u.Soft), Hard = Unlimited(u.Hard) });
            }
        }
        var security = (host.SecurityOpt ?? []).Select(ParseSecurityOpt).ToList();
        if (security.Any(s => s.Key == "no-new-privileges"))
        {
            process.NoNewPrivileges = security.Last(s => s.Key == "no-new-privileges").Value != "false";
        }
        else
        {
            // docker leaves no_new_privs off unless asked (runc spec's default is on).
            process.NoNewPrivileges = false;
        }
        var capabilities = host.Privileged ? AllCapabilities() : Capabilities(host.CapAdd, host.CapDrop);
        process.Capabilities = new LinuxCapabilities { Bounding = [.. capabilities], Effective = [.. capabilities], Permitted = [.. capabilities] };
        if (host.Privileged)
        {
            linux.MaskedPaths = [];
            linux.ReadonlyPaths = [];
            if (linux.Resources is not null)
            {
                linux.Resources.Devices = [new LinuxDeviceCgroup { Allow = true, Access = "rwm" }];
            }
            // sysfs and cgroupfs writable, as docker's privileged containers have them.
            foreach (var m in spec.Mounts!.Where(m => m.Destination is "/sys" or "/sys/fs/cgroup"))
            {
                m.Options = [.. m.Options!.Where(o => o != "ro").Append("rw")];
            }
        }
        if (host.MaskedPaths is { } masked)
        {
            linux.MaskedPaths = [.. masked];
        }
        if (host.ReadonlyPaths is { } readonlyPaths)
        {
            linux.ReadonlyPaths = [.. readonlyPaths];
        }
        foreach (var device in host.Devices ?? [])
        {
            AddDevice(linux, device);
        }
        var seccomp = security.LastOrDefault(s => s.Key == "seccomp").Value;
        if (!host.Privileged && seccomp != "unconfined" && Sys.EffectiveUserId == 0)
        {
            linux.Seccomp = seccomp is null
                ? DefaultSeccomp.For(capabilities)
                : JsonSerializer.Deserialize(seccomp, RuntimeJsonContext.Default.LinuxSeccomp)
                    ?? throw new EngineException(EngineErrorCode.InvalidArgument, "the seccomp profile is empty");
        }
        return spec;
    }

    private static void ApplyNamespaces(Strata.Oci.Runtime.Linux linux, HostConfig host)
    {
        void Host(string type) => linux.Namespaces!.RemoveAll(n => n.Type == type);
        if (host.NetworkMode == "host")
        {
            Host("network");
        }
        if (host.PidMode == "host")
        {
            Host("pid");
        }
        if (host.IpcMode == "host")
        {
            Host("ipc");
        }
        if (host.UTSMode == "host")
        {
            Host("uts");
        }
        // A container: network mode is the network hook's (it sets the other container's namespace path).
        foreach (var (mode, type) in new[] { (host.PidMode, "pid"), (host.IpcMode, "ipc") })
        {
            if (mode is { } m && m.StartsWith("container:", StringComparison.Ordinal))
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"{type} mode '{m}' is not supported yet");
            }
        }
    }

    /// <summary>The cgroup limits of a HostConfig alone (update).</summary>
    public static LinuxResources ResourcesOf(HostConfig host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var r = new LinuxResources();
        ApplyResources(r, host);
        return r;
    }

    private static void ApplyResources(LinuxResources r, HostConfig host)
    {
        if (host.Memory > 0 || host.MemoryReservation > 0 || host.MemorySwap != 0 || host.MemorySwappiness is >= 0 || host.OomKillDisable == true)
        {
            r.Memory = new LinuxMemory();
            if (host.Memory > 0)
            {
                r.Memory.Limit = host.Memory;
            }
            if (host.MemoryReservation > 0)
            {
                r.Memory.Reservation = host.MemoryReservation;
            }
            if (host.MemorySwap != 0)
            {
                r.Memory.Swap = host.MemorySwap;
            }
            if (host.MemorySwappiness is >= 0 and var swappiness)
            {
                r.Memory.Swappiness = (ulong)swappiness;
            }
            if (host.OomKillDisable == true)
            {
                r.Memory.DisableOOMKiller = true;
            }
        }
        if (host.NanoCpus > 0 || host.CpuQuota != 0 || host.CpuPeriod != 0 || host.CpuShares > 0 || !string.IsNullOrEmpty(host.CpusetCpus) || !string.IsNullOrEmpty(host.CpusetMems))
        {
            r.Cpu = new LinuxCpu();
            if (host.NanoCpus > 0)
            {
                // docker's --cpus: a CFS quota of cpus × the 100 ms period (moby daemon/oci_linux.go).
                r.Cpu.Period = 100_000;
                r.Cpu.Quota = host.NanoCpus * 100_000 / 1_000_000_000;
            }
            if (host.CpuPeriod != 0)
            {
                r.Cpu.Period = (ulong)host.CpuPeriod;
            }
            if (host.CpuQuota != 0)
            {
                r.Cpu.Quota = host.CpuQuota;
            }
            if (host.CpuShares > 0)
            {
                r.Cpu.Shares = (ulong)host.CpuShares;
            }
            if (!string.IsNullOrEmpty(host.CpusetCpus))
            {
                r.Cpu.Cpus = host.CpusetCpus;
            }
            if (!string.IsNullOrEmpty(host.CpusetMems))
            {
                r.Cpu.Mems = host.CpusetMems;
            }
        }
        if (host.PidsLimit is > 0 and var pids)
        {
            r.Pids = new LinuxPids { Limit = pids };
        }
        r.BlockIO = BlkioDevices.Of(host);
    }

    /// <summary>docker's default set with CapAdd and CapDrop applied ("ALL" in either; names with or without CAP_, any case).</summary>
    public static List<string> Capabilities(IEnumerable<string>? add, IEnumerable<string>? drop)
    {
        var adds = (add ?? []).Select(NormalizeCapability).ToList();
        var drops = (drop ?? []).Select(NormalizeCapability).ToList();
        var caps = new List<string>(DefaultSpec.EngineCapabilities);
        // moby's caps.TweakCapabilities: ALL in drop empties the base set, then adds apply; ALL in add grants all, then drops apply.
        if (adds.Contains("ALL"))
        {
            caps = AllCapabilities();
        }
        else if (drops.Contains("ALL"))
        {
            caps = [];
        }
        foreach (var c in adds.Where(c => c != "ALL" && !caps.Contains(c)))
        {
            caps.Add(c);
        }
        if (!drops.Contains("ALL") || adds.Contains("ALL"))
        {
            caps.RemoveAll(c => drops.Contains(c));
        }
        return caps;
    }

    private static List<string> AllCapabilities() => [.. Strata.Linux.Capabilities.All.Take(Strata.Linux.Capabilities.LastCapability + 1)];

    private static string NormalizeCapability(string name)
    {
        var upper = name.Trim().ToUpperInvariant();
        if (upper == "ALL")
        {
            return upper;
        }
        var cap = upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper : "CAP_" + upper;
        return Strata.Linux.Capabilities.Parse(cap) >= 0 ? cap
            : throw new EngineException(EngineErrorCode.InvalidArgument, $"unknown capability: \"{name}\"");
    }

    private static string RlimitName(string name)
    {
        var known = new[] { "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack", "as" };
        return known.Contains(name, StringComparer.Ordinal) ? "RLIMIT_" + name.ToUpperInvariant()
            : throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid ulimit type: {name}");
    }

    private static ulong Unlimited(long value) => value < 0 ? ulong.MaxValue : (ulong)value;

    /// <summary>"key=value" or "key:value" (docker accepts both), "no-new-privileges" alone.</summary>
    private static KeyValuePair<string, string?> ParseSecurityOpt(string opt)
    {
        if (opt == "no-new-privileges")
        {
            return new(opt, "true");
        }
        var i = opt.IndexOfAny(['=', ':']);
        if (i <= 0)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"Invalid --security-opt: \"{opt}\"");
        }
        var key = opt[..i];
        if (key is not ("seccomp" or "no-new-privileges" or "apparmor" or "label" or "systempaths" or "writable-cgroups"))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid --security-opt 2: \"{opt}\"");
        }
        return new(key, opt[(i + 1)..]);
    }

    private static void AddDevice(Strata.Oci.Runtime.Linux linux, DeviceMapping mapping)
    {
        var path = mapping.PathOnHost;
        var info = new FileInfo(path);
        if (!info.Exists && !Path.Exists(path))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"error gathering device information while adding custom device \"{path}\": no such file or directory");
        }
        var stat = DeviceNode.TryStat(path)
            ?? throw new EngineException(EngineErrorCode.InvalidArgument, $"error gathering device information while adding custom device \"{path}\": not a device node");
        var type = stat.Type.ToString();
        var permissions = string.IsNullOrEmpty(mapping.CgroupPermissions) ? "rwm" : mapping.CgroupPermissions;
        linux.Devices ??= [];
        linux.Devices.Add(new LinuxDevice
        {
            Path = string.IsNullOrEmpty(mapping.PathInContainer) ? path : mapping.PathInContainer,
            Type = type,
            Major = stat.Major,
            Minor = stat.Minor,
            FileMode = stat.Mode & 0x1ff,
            Uid = 0,
            Gid = 0,
        });
        linux.Resources?.Devices?.Add(new LinuxDeviceCgroup { Allow = true, Type = type, Major = stat.Major, Minor = stat.Minor, Access = permissions });
    }
}
