// The API's JSON field names share spellings with this class's flag properties by design; they are not nameof-able.
#pragma warning disable CA1507
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Strata.Cli.Commands;

/// <summary>
/// docker create's and run's flags, turned into the body of POST /containers/create as the docker CLI sends
/// it (Config, HostConfig, NetworkingConfig). What the engine checks (mount sources, names, ports in use)
/// it checks and answers with docker's errors; here only the flags' own syntax is read.
/// </summary>
internal sealed class CreateFlags
{
    public Argument<string> Image { get; } = new("image") { Description = "Image to create the container from." };
    public Argument<string[]> Command { get; } = new("command") { Description = "Command and arguments (use -- before arguments that start with '-').", Arity = ArgumentArity.ZeroOrMore };
    public Option<string?> Name { get; } = new("--name") { Description = "Assign a name to the container." };
    public Option<string[]> Env { get; } = new("--env", "-e") { Description = "Set environment variables (KEY=VALUE, or KEY to pass this process's value).", AllowMultipleArgumentsPerToken = false };
    public Option<string?> Workdir { get; } = new("--workdir", "-w") { Description = "Working directory inside the container." };
    public Option<string?> User { get; } = new("--user", "-u") { Description = "Username or UID (format: <name|uid>[:<group|gid>])." };
    public Option<string[]> Volume { get; } = new("--volume", "-v") { Description = "Bind mount a volume (SOURCE:TARGET[:OPTIONS]).", AllowMultipleArgumentsPerToken = false };
    public Option<string[]> Mount { get; } = new("--mount") { Description = "Attach a filesystem mount (type=bind|volume|tmpfs,source=…,target=…[,readonly]).", AllowMultipleArgumentsPerToken = false };
    public Option<string[]> Tmpfs { get; } = new("--tmpfs") { Description = "Mount a tmpfs directory (PATH[:OPTIONS]).", AllowMultipleArgumentsPerToken = false };
    public Option<string[]> Publish { get; } = new("--publish", "-p") { Description = "Publish a container's port(s) to the host ([IP:][HOST:]CONTAINER[/PROTO]).", AllowMultipleArgumentsPerToken = false };
    public Option<bool> PublishAll { get; } = new("--publish-all", "-P") { Description = "Publish all exposed ports to random ports." };
    public Option<string[]> Expose { get; } = new("--expose") { Description = "Expose a port or a range of ports.", AllowMultipleArgumentsPerToken = false };
    public Option<string?> Restart { get; } = new("--restart") { Description = "Restart policy: no, always, unless-stopped, on-failure[:N]." };
    public Option<string?> Network { get; } = new("--network", "--net") { Description = "Connect a container to a network (bridge, host, none, container:ID, or a network's name)." };
    public Option<string[]> NetworkAlias { get; } = new("--network-alias") { Description = "Add network-scoped alias for the container.", AllowMultipleArgumentsPerToken = false };
    public Option<string?> Userns { get; } = new("--userns") { Description = "User namespace to use (host, auto)." };
    public Option<string?> Entrypoint { get; } = new("--entrypoint") { Description = "Overwrite the default ENTRYPOINT of the image." };
    public Option<string[]> Label { get; } = new("--label", "-l") { Description = "Set meta data on a container (KEY=VALUE).", AllowMultipleArgumentsPerToken = false };
    public Option<bool> Tty { get; } = new("--tty", "-t") { Description = "Allocate a pseudo-TTY." };
    public Option<bool> Interactive { get; } = new("--interactive", "-i") { Description = "Keep STDIN open even if not attached." };
    public Option<bool> ReadOnly { get; } = new("--read-only") { Description = "Mount the container's root filesystem as read only." };
    public Option<string?> Memory { get; } = new("--memory", "-m") { Description = "Memory limit (e.g. 64m, 1g)." };
    public Option<double?> Cpus { get; } = new("--cpus") { Description = "Number of CPUs." };
    public Option<long?> PidsLimit { get; } = new("--pids-limit") { Description = "Tune container pids limit (-1 for unlimited)." };
    public Option<bool> Privileged { get; } = new("--privileged") { Description = "Give extended privileges to this container." };
    public Option<string[]> CapAdd { get; } = new("--cap-add") { Description = "Add Linux capabilities.", AllowMultipleArgumentsPerToken = false };
    public Option<string[]> CapDrop { get; } = new("--cap-drop") { Description = "Drop Linux capabilities.", AllowMultipleArgumentsPerToken = false };
    public Option<string?> Hostname { get; } = new("--hostname", "-h") { Description = "Container host name." };
    public Option<bool> Init { get; } = new("--init") { Description = "Run an init inside the container that forwards signals and reaps processes." };
    public Option<string?> StopSignal { get; } = new("--stop-signal") { Description = "Signal to stop the container." };
    public Option<int?> StopTimeout { get; } = new("--stop-timeout") { Description = "Timeout (in seconds) to stop a container." };
    public Option<string?> LogDriver { get; } = new("--log-driver") { Description = "Logging driver for the container (json-file)." };
    public Option<string[]> LogOpt { get; } = new("--log-opt") { Description = "Log driver options (max-size, max-file).", AllowMultipleArgumentsPerToken = false };
    public Option<string[]> EnvFile { get; } = new("--env-file") { Description = "Read in a file of environment variables.", AllowMultipleArgumentsPerToken = false };
    public Option<string> Pull { get; } = new("--pull") { Description = "Pull image before running (always, missing, never).", DefaultValueFactory = _ => "missing" };
    public Option<string?> Platform { get; } = new("--platform") { Description = "Set platform if server is multi-platform capable." };
    public Option<string?> HealthCmd { get; } = new("--health-cmd") { Description = "Command to run to check health." };
    public Option<string?> HealthInterval { get; } = new("--health-interval") { Description = "Time between running the check (ms|s|m|h)." };
    public Option<string?> HealthTimeout { get; } = new("--health-timeout") { Description = "Maximum time to allow one check to run (ms|s|m|h)." };
    public Option<string?> HealthStartPeriod { get; } = new("--health-start-period") { Description = "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)." };
    public Option<string?> HealthStartInterval { get; } = new("--health-start-interval") { Description = "Time between running the check during the start period (ms|s|m|h)." };
    public Option<int?> HealthRetries { get; } = new("--health-retries") { Description = "Consecutive failures needed to report unhealthy." };
    public Option<bool> NoHealthcheck { get; } = new("--no-healthcheck") { Description = "Disable any container-specified HEALTHCHECK." };
    public Option<long?> CpuShares { get; } = new("--cpu-shares", "-c") { Description = "CPU shares (relative weight)." };
    public Option<string?> CpusetCpus { get; } = new("--cpuset-cpus") { Description = "CPUs in which to allow execution (0-3, 0,1)." };
    public Option<string?> MemorySwap { get; } = new("--memory-swap") { Description = "Swap limit equal to memory plus swap: '-1' to enable unlimited swap." };
    public Option<string?> MemoryReservation { get; } = new("--memory-reservation") { Description = "Memory soft limit." };
    public Option<string?> ShmSize { get; } = new("--shm-size") { Description = "Size of /dev/shm." };
    public Option<bool> OomKillDisable { get; } = new("--oom-kill-disable") { Description = "Disable OOM Killer." };
    public Option<string[]> Ulimit { get; } = new("--ulimit") { Description = "Ulimit options (nofile=1024:2048).", AllowMultipleArgumentsPerToken = false };
    public Option<string[]> Device { get; } = new("--device") { Description = "Add a host device to the container (HOST[:CONTAINER[:PERMISSIONS]]).", AllowMultipleArgumentsPerToken = false };
    public Option<string[]> SecurityOpt { get; } = new("--security-opt") { Description = "Security Options.", AllowMultipleArgumentsPerToken = false };
    public Option<string[]> Sysctl { get; } = new("--sysctl") { Description = "Sysctl options (KEY=VALUE).", AllowMultipleArgumentsPerToken = false };
    public Option<string[]> AddHost { get; } = new("--add-host") { Description = "Add a custom host-to-IP mapping (host:ip).", AllowMultipleArgumentsPerToken = false };
    public Option<string[]> Dns { get; } = new("--dns") { Description = "Set custom DNS servers.", AllowMultipleArgumentsPerToken = false };
    public Option<string[]> GroupAdd { get; } = new("--group-add") { Description = "Add additional groups to join.", AllowMultipleArgumentsPerToken = false };
    public Option<string?> Ip { get; } = new("--ip") { Description = "IPv4 address (e.g., 172.30.100.104)." };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Arguments.Add(Image);
        command.Arguments.Add(Command);
        foreach (var option in new Option[]
        {
            Name, Env, Workdir, User, Volume, Mount, Tmpfs, Publish, PublishAll, Expose, Restart, Network, NetworkAlias, Userns,
            Entrypoint, Label, Tty, Interactive, ReadOnly, Memory, Cpus, PidsLimit, Privileged, CapAdd, CapDrop, Hostname, Init,
            StopSignal, StopTimeout, LogDriver, LogOpt, EnvFile, Pull, Platform, HealthCmd, HealthInterval, HealthTimeout, HealthStartPeriod,
            HealthStartInterval, HealthRetries, NoHealthcheck, CpuShares, CpusetCpus, MemorySwap, MemoryReservation, ShmSize, OomKillDisable,
            Ulimit, Device, SecurityOpt, Sysctl, AddHost, Dns, GroupAdd, Ip,
        })
        {
            command.Options.Add(option);
        }
        // Everything after the image belongs to the container's command, flags included.
        command.TreatUnmatchedTokensAsErrors = false;
    }

    /// <summary>The create body; <paramref name="attach"/> is whether the caller's stdout and stderr are attached (not -d).</summary>
    public JsonObject Body(ParseResult parse, bool attach, bool autoRemove)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var interactive = parse.GetValue(Interactive);
        string[] cmd = [.. parse.GetValue(Command) ?? [], .. parse.UnmatchedTokens];
        var exposed = new JsonObject();
        var bindings = new JsonObject();
        foreach (var spec in parse.GetValue(Publish) ?? [])
        {
            foreach (var (port, ip, hostPort) in ParsePublish(spec))
            {
                exposed[port] = new JsonObject();
                if (bindings[port] is not JsonArray list)
                {
                    bindings[port] = list = [];
                }
                list.Add((JsonNode)new JsonObject { ["HostIp"] = ip, ["HostPort"] = hostPort });
            }
        }
        foreach (var port in parse.GetValue(Expose) ?? [])
        {
            exposed[port.Contains('/', StringComparison.Ordinal) ? port : port + "/tcp"] = new JsonObject();
        }
        var network = parse.GetValue(Network);
        var host = new JsonObject
        {
            ["Binds"] = Strings(parse.GetValue(Volume)),
            ["NetworkMode"] = network ?? "default",
            ["PortBindings"] = bindings,
            ["PublishAllPorts"] = parse.GetValue(PublishAll),
            ["RestartPolicy"] = RestartPolicy(parse.GetValue(Restart)),
            ["AutoRemove"] = autoRemove,
            ["Mounts"] = new JsonArray([.. (parse.GetValue(Mount) ?? []).Select(m => (JsonNode)ParseMount(m))]),
            ["Tmpfs"] = Tmpfses(parse.GetValue(Tmpfs)),
            ["ReadonlyRootfs"] = parse.GetValue(ReadOnly),
            ["Privileged"] = parse.GetValue(Privileged),
            ["CapAdd"] = Strings(parse.GetValue(CapAdd)),
            ["CapDrop"] = Strings(parse.GetValue(CapDrop)),
        };
        // docker run -t sends the caller's terminal size, so the program sees it from its first instruction.
        if (parse.GetValue(Tty) && TerminalSize() is { } size)
        {
            host["ConsoleSize"] = new JsonArray(size.Rows, size.Columns);
        }
        if (parse.GetValue(Userns) is { } userns)
        {
            host["UsernsMode"] = userns;
        }
        if (parse.GetValue(Memory) is { } memory)
        {
            host["Memory"] = Format.ParseBytes(memory);
        }
        if (parse.GetValue(Cpus) is { } cpus)
        {
            host["NanoCpus"] = (long)(cpus * 1e9);
        }
        if (parse.GetValue(PidsLimit) is { } pids)
        {
            host["PidsLimit"] = pids;
        }
        if (parse.GetValue(CpuShares) is { } shares)
        {
            host["CpuShares"] = shares;
        }
        if (parse.GetValue(CpusetCpus) is { } cpuset)
        {
            host["CpusetCpus"] = cpuset;
        }
        if (parse.GetValue(MemorySwap) is { } swap)
        {
            host["MemorySwap"] = swap == "-1" ? -1 : Format.ParseBytes(swap);
        }
        if (parse.GetValue(MemoryReservation) is { } reservation)
        {
            host["MemoryReservation"] = Format.ParseBytes(reservation);
        }
        if (parse.GetValue(ShmSize) is { } shm)
        {
            host["ShmSize"] = Format.ParseBytes(shm);
        }
        if (parse.GetValue(OomKillDisable))
        {
            host["OomKillDisable"] = true;
        }
        if (parse.GetValue(Ulimit) is { Length: > 0 } ulimits)
        {
            host["Ulimits"] = new JsonArray([.. ulimits.Select(u => (JsonNode)ParseUlimit(u))]);
        }
        if (parse.GetValue(Device) is { Length: > 0 } devices)
        {
            host["Devices"] = new JsonArray([.. devices.Select(d => (JsonNode)ParseDevice(d))]);
        }
        if (parse.GetValue(SecurityOpt) is { Length: > 0 } security)
        {
            host["SecurityOpt"] = Strings(security);
        }
        if (parse.GetValue(Sysctl) is { Length: > 0 } sysctls)
        {
            host["Sysctls"] = ApiText.Pairs(sysctls);
        }
        if (parse.GetValue(AddHost) is { Length: > 0 } hosts)
        {
            // docker 28 takes host=ip as well as host:ip; the API's form is host:ip.
            host["ExtraHosts"] = Strings(hosts.Select(h => h.IndexOf('=', StringComparison.Ordinal) is > 0 and var eq ? h[..eq] + ":" + h[(eq + 1)..] : h));
        }
        if (parse.GetValue(Dns) is { Length: > 0 } dns)
        {
            host["Dns"] = Strings(dns);
        }
        if (parse.GetValue(GroupAdd) is { Length: > 0 } groups)
        {
            host["GroupAdd"] = Strings(groups);
        }
        if (parse.GetValue(Init))
        {
            host["Init"] = true;
        }
        if (parse.GetValue(LogDriver) is { } driver || parse.GetValue(LogOpt) is { Length: > 0 })
        {
            host["LogConfig"] = new JsonObject { ["Type"] = parse.GetValue(LogDriver) ?? "", ["Config"] = ApiText.Pairs(parse.GetValue(LogOpt)) };
        }
        var body = new JsonObject
        {
            ["Hostname"] = parse.GetValue(Hostname) ?? "",
            ["User"] = parse.GetValue(User) ?? "",
            ["AttachStdin"] = attach && interactive,
            ["AttachStdout"] = attach,
            ["AttachStderr"] = attach,
            ["Tty"] = parse.GetValue(Tty),
            ["OpenStdin"] = interactive,
            ["StdinOnce"] = attach && interactive,
            ["Env"] = Strings(Environment([.. (parse.GetValue(EnvFile) ?? []).SelectMany(ReadEnvFile), .. parse.GetValue(Env) ?? []])),
            ["Cmd"] = cmd.Length > 0 ? Strings(cmd) : null,
            ["Image"] = parse.GetValue(Image),
            ["WorkingDir"] = parse.GetValue(Workdir) ?? "",
            ["Labels"] = ApiText.Pairs(parse.GetValue(Label)),
            ["ExposedPorts"] = exposed,
            ["HostConfig"] = host,
        };
        // --entrypoint "" clears the image's entrypoint; docker sends [""] for it.
        if (parse.GetValue(Entrypoint) is { } entrypoint)
        {
            body["Entrypoint"] = Strings([entrypoint]);
        }
        if (parse.GetValue(StopSignal) is { } signal)
        {
            body["StopSignal"] = signal;
        }
        if (parse.GetValue(StopTimeout) is { } timeout)
        {
            body["StopTimeout"] = timeout;
        }
        if (Healthcheck(parse) is { } health)
        {
            body["Healthcheck"] = health;
        }
        var aliases = parse.GetValue(NetworkAlias) ?? [];
        var address = parse.GetValue(Ip);
        if (network is not null && (aliases.Length > 0 || address is not null))
        {
            var endpoint = new JsonObject();
            if (aliases.Length > 0)
            {
                endpoint["Aliases"] = Strings(aliases);
            }
            if (address is not null)
            {
                endpoint["IPAMConfig"] = new JsonObject { ["IPv4Address"] = address };
            }
            body["NetworkingConfig"] = new JsonObject { ["EndpointsConfig"] = new JsonObject { [network] = endpoint } };
        }
        return body;
    }

    /// <summary>The --health-* flags as Config.Healthcheck (durations in nanoseconds); --no-healthcheck is ["NONE"].</summary>
    private JsonObject? Healthcheck(ParseResult parse)
    {
        var cmd = parse.GetValue(HealthCmd);
        var interval = Duration(parse.GetValue(HealthInterval), "--health-interval");
        var timeout = Duration(parse.GetValue(HealthTimeout), "--health-timeout");
        var start = Duration(parse.GetValue(HealthStartPeriod), "--health-start-period");
        var startInterval = Duration(parse.GetValue(HealthStartInterval), "--health-start-interval");
        var retries = parse.GetValue(HealthRetries);
        if (parse.GetValue(NoHealthcheck))
        {
            if (cmd is not null || interval is not null || timeout is not null || start is not null || retries is not null)
            {
                throw new FormatException("--no-healthcheck conflicts with --health-* options");
            }
            return new JsonObject { ["Test"] = Strings(["NONE"]) };
        }
        if (cmd is null && interval is null && timeout is null && start is null && startInterval is null && retries is null)
        {
            return null;
        }
        if (retries < 0)
        {
            throw new FormatException("--health-retries cannot be negative");
        }
        var health = new JsonObject
        {
            ["Interval"] = interval ?? 0,
            ["Timeout"] = timeout ?? 0,
            ["StartPeriod"] = start ?? 0,
            ["StartInterval"] = startInterval ?? 0,
            ["Retries"] = retries ?? 0,
        };
        if (cmd is not null)
        {
            health["Test"] = Strings(["CMD-SHELL", cmd]);
        }
        return health;
    }

    private static long? Duration(string? text, string flag)
    {
        if (text is null)
        {
            return null;
        }
        if (!GoText.TryParseDuration(text, out var duration) || duration < TimeSpan.Zero)
        {
            throw new FormatException($"invalid argument \"{text}\" for \"{flag}\" flag: time: invalid duration \"{text}\"");
        }
        return duration.Ticks * 100;
    }

    /// <summary>docker's opts.ParseEnvFile: KEY=VALUE or KEY lines; blank lines and # comments skipped.</summary>
    internal static IEnumerable<string> ReadEnvFile(string path)
    {
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.TrimStart();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? line : line[..eq];
            if (key.Length == 0)
            {
                throw new FormatException($"invalid environment variable: {line}");
            }
            if (key.Any(char.IsWhiteSpace))
            {
                throw new FormatException($"variable '{key}' contains whitespaces");
            }
            yield return eq < 0 ? key : line;
        }
    }

    /// <summary>"nofile=1024[:2048]" as the API's Ulimit.</summary>
    internal static JsonObject ParseUlimit(string spec)
    {
        var eq = spec.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new FormatException($"invalid ulimit argument: {spec}");
        }
        var limits = spec[(eq + 1)..].Split(':');
        if (limits.Length > 2 || !long.TryParse(limits[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var soft))
        {
            throw new FormatException($"invalid ulimit argument: {spec}");
        }
        var hard = soft;
        if (limits.Length == 2 && !long.TryParse(limits[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out hard))
        {
            throw new FormatException($"invalid ulimit argument: {spec}");
        }
        if (soft > hard)
        {
            throw new FormatException($"ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}");
        }
        return new JsonObject { ["Name"] = spec[..eq], ["Soft"] = soft, ["Hard"] = hard };
    }

    /// <summary>"/dev/x[:/dev/y[:rwm]]" as the API's DeviceMapping.</summary>
    internal static JsonObject ParseDevice(string spec)
    {
        var parts = spec.Split(':');
        var (host, container, permissions) = parts.Length switch
        {
            1 => (parts[0], parts[0], "rwm"),
            2 when parts[1].Length > 0 && parts[1].All(c => c is 'r' or 'w' or 'm') => (parts[0], parts[0], parts[1]),
            2 => (parts[0], parts[1], "rwm"),
            3 => (parts[0], parts[1], parts[2]),
            _ => throw new FormatException($"invalid device specification: {spec}"),
        };
        return new JsonObject { ["PathOnHost"] = host, ["PathInContainer"] = container, ["CgroupPermissions"] = permissions };
    }

    private static Strata.Linux.WindowSize? TerminalSize()
    {
        try
        {
            using var console = Strata.Linux.HostConsole.Find();
            return console.TryGetWindowSize() is { Rows: > 0, Columns: > 0 } size ? size : null;
        }
        catch (Strata.Linux.SyscallException)
        {
            return null;
        }
    }

    private static JsonArray Strings(IEnumerable<string>? values) => new([.. (values ?? []).Select(v => (JsonNode)JsonValue.Create(v))]);

    /// <summary>KEY takes this process's value, and is left out when it has none (docker's opts.ValidateEnv).</summary>
    private static IEnumerable<string> Environment(IEnumerable<string>? env)
    {
        foreach (var e in env ?? [])
        {
            if (e.Contains('=', StringComparison.Ordinal))
            {
                yield return e;
            }
            else if (System.Environment.GetEnvironmentVariable(e) is { } value)
            {
                yield return e + "=" + value;
            }
        }
    }

    /// <summary>"no", "always", "unless-stopped", "on-failure[:N]".</summary>
    public static JsonObject RestartPolicy(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return new JsonObject { ["Name"] = "no", ["MaximumRetryCount"] = 0 };
        }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? text : text[..colon];
        var count = 0;
        if (colon >= 0 && (name != "on-failure" || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out count)))
        {
            throw new FormatException($"invalid restart policy format: {text}");
        }
        if (name is not ("no" or "always" or "unless-stopped" or "on-failure"))
        {
            throw new FormatException($"invalid restart policy format: {text}");
        }
        return new JsonObject { ["Name"] = name, ["MaximumRetryCount"] = count };
    }

    /// <summary>nat.ParsePortSpec: "[IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO]" into (port/proto, host IP, host port) bindings.</summary>
    public static IEnumerable<(string Port, string Ip, string HostPort)> ParsePublish(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var proto = "tcp";
        var rest = spec;
        var slash = spec.LastIndexOf('/');
        if (slash >= 0)
        {
            proto = spec[(slash + 1)..].ToLowerInvariant();
            rest = spec[..slash];
            if (proto is not ("tcp" or "udp" or "sctp"))
            {
                throw new FormatException($"invalid proto: {proto}");
            }
        }
        var ip = "";
        if (rest.StartsWith('['))
        {
            var end = rest.IndexOf(']', StringComparison.Ordinal);
            if (end < 0 || end + 1 >= rest.Length || rest[end + 1] != ':')
            {
                throw new FormatException($"invalid IP address in {spec}");
            }
            ip = rest[1..end];
            rest = rest[(end + 2)..];
        }
        var parts = rest.Split(':');
        string hostPart, containerPart;
        switch (parts.Length)
        {
            case 1: hostPart = ""; containerPart = parts[0]; break;
            case 2: hostPart = parts[0]; containerPart = parts[1]; break;
            case 3 when ip.Length == 0: ip = parts[0]; hostPart = parts[1]; containerPart = parts[2]; break;
            default: throw new FormatException($"invalid port format for --publish: {spec}");
        }
        var (cStart, cEnd) = Range(containerPart, spec);
        var (hStart, hEnd) = hostPart.Length == 0 ? (0, 0) : Range(hostPart, spec);
        if (hostPart.Length > 0 && hEnd - hStart != cEnd - cStart && hEnd != hStart)
        {
            throw new FormatException($"invalid ranges specified for container and host Ports: {containerPart} and {hostPart}");
        }
        for (var i = 0; i <= cEnd - cStart; i++)
        {
            var hostPort = hostPart.Length == 0 ? "" : hEnd == hStart && cEnd != cStart ? $"{hStart}" : $"{hStart + i}";
            yield return (string.Create(CultureInfo.InvariantCulture, $"{cStart + i}/{proto}"), ip, hostPort);
        }
    }

    private static (int Start, int End) Range(string text, string spec)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var first = dash < 0 ? text : text[..dash];
        var last = dash < 0 ? text : text[(dash + 1)..];
        if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start) || !int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            || start is < 0 or > 65535 || end is < 0 or > 65535 || end < start)
        {
            throw new FormatException($"invalid containerPort: {text} in {spec}");
        }
        return (start, end);
    }

    /// <summary>--mount's CSV (docker's opts.MountOpt) as the API's Mount.</summary>
    public static JsonObject ParseMount(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var mount = new JsonObject { ["Type"] = "volume" };
        JsonObject? volumeOptions = null, bindOptions = null, tmpfsOptions = null;
        foreach (var field in spec.Split(','))
        {
            var eq = field.IndexOf('=', StringComparison.Ordinal);
            var key = (eq < 0 ? field : field[..eq]).Trim().ToLowerInvariant();
            var value = eq < 0 ? null : field[(eq + 1)..].Trim();
            switch (key)
            {
                case "type": mount["Type"] = value; break;
                case "source" or "src": mount["Source"] = value; break;
                case "target" or "dst" or "destination": mount["Target"] = value; break;
                case "readonly" or "ro": mount["ReadOnly"] = value is null or "1" or "true"; break;
                case "consistency": mount["Consistency"] = value; break;
                case "bind-propagation": (bindOptions ??= [])["Propagation"] = value; break;
                case "volume-nocopy": (volumeOptions ??= [])["NoCopy"] = value is null or "1" or "true"; break;
                case "volume-driver": (volumeOptions ??= [])["DriverConfig"] = new JsonObject { ["Name"] = value }; break;
                case "volume-opt":
                    var opt = (value ?? "").Split('=', 2);
                    volumeOptions ??= [];
                    if (volumeOptions["DriverConfig"] is not JsonObject config)
                    {
                        volumeOptions["DriverConfig"] = config = [];
                    }
                    if (config["Options"] is not JsonObject options)
                    {
                        config["Options"] = options = [];
                    }
                    options[opt[0]] = opt.Length > 1 ? opt[1] : "";
                    break;
                case "tmpfs-size": (tmpfsOptions ??= [])["SizeBytes"] = Format.ParseBytes(value ?? ""); break;
                case "tmpfs-mode": (tmpfsOptions ??= [])["Mode"] = Convert.ToInt32(value, 8); break;
                default: throw new FormatException($"unexpected key '{key}' in '{spec}'");
            }
        }
        if (mount["Target"] is null)
        {
            throw new FormatException("target is required");
        }
        if (bindOptions is not null)
        {
            mount["BindOptions"] = bindOptions;
        }
        if (volumeOptions is not null)
        {
            mount["VolumeOptions"] = volumeOptions;
        }
        if (tmpfsOptions is not null)
        {
            mount["TmpfsOptions"] = tmpfsOptions;
        }
        return mount;
    }

    private static JsonObject Tmpfses(IEnumerable<string>? specs)
    {
        var o = new JsonObject();
        foreach (var spec in specs ?? [])
        {
            var colon = spec.IndexOf(':', StringComparison.Ordinal);
            o[colon < 0 ? spec : spec[..colon]] = colon < 0 ? "" : spec[(colon + 1)..];
        }
        return o;
    }
}
