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

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Arguments.Add(Image);
        command.Arguments.Add(Command);
        foreach (var option in new Option[]
        {
            Name, Env, Workdir, User, Volume, Mount, Tmpfs, Publish, PublishAll, Expose, Restart, Network, NetworkAlias, Userns,
            Entrypoint, Label, Tty, Interactive, ReadOnly, Memory, Cpus, PidsLimit, Privileged, CapAdd, CapDrop, Hostname, Init,
            StopSignal, StopTimeout, LogDriver, LogOpt,
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
            ["Env"] = Strings(Environment(parse.GetValue(Env))),
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
        if (network is not null && parse.GetValue(NetworkAlias) is { Length: > 0 } aliases)
        {
            body["NetworkingConfig"] = new JsonObject
            {
                ["EndpointsConfig"] = new JsonObject { [network] = new JsonObject { ["Aliases"] = Strings(aliases) } },
            };
        }
        return body;
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
