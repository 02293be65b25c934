namespace Strata.Oci.Runtime;

/// <summary>
/// Semantic checks of a parsed config.json. Every failure names the field, as runc and crun do, so a
/// user can fix the document without reading the runtime's source.
/// </summary>
public static class SpecValidator
{
    private static readonly HashSet<string> Propagations = ["", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"];

    public static void Validate(Spec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = new List<string>();

        if (string.IsNullOrWhiteSpace(spec.OciVersion))
            errors.Add("ociVersion: missing; config.json must name the runtime-spec version it follows");
        else if (!spec.OciVersion.StartsWith("1.", StringComparison.Ordinal))
            errors.Add($"ociVersion: unsupported version {spec.OciVersion}, Strata supports 1.x");

        if (spec.Root is null || string.IsNullOrEmpty(spec.Root.Path))
            errors.Add("root.path: missing; the container needs a root filesystem");

        if (spec.Process is { } process)
        {
            if (process.Args is null || process.Args.Count == 0)
                errors.Add("process.args: missing; at least one argument (the program) is required");
            else if (string.IsNullOrEmpty(process.Args[0]))
                errors.Add("process.args[0]: empty program name");
            if (!process.Cwd.StartsWith('/'))
                errors.Add($"process.cwd: {Quote(process.Cwd)} is not an absolute path");
            if (process.Env is { } env)
            {
                for (var i = 0; i < env.Count; i++)
                {
                    if (env[i].IndexOf('=', StringComparison.Ordinal) <= 0)
                        errors.Add($"process.env[{i}]: {Quote(env[i])} is not of the form NAME=value");
                }
            }
            if (process.Rlimits is { } rlimits)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < rlimits.Count; i++)
                {
                    var r = rlimits[i];
                    if (!RlimitNames.IsKnown(r.Type))
                        errors.Add($"process.rlimits[{i}].type: unknown rlimit {Quote(r.Type)}");
                    else if (!seen.Add(r.Type))
                        errors.Add($"process.rlimits[{i}].type: duplicate rlimit {r.Type}");
                    if (r.Soft > r.Hard)
                        errors.Add($"process.rlimits[{i}]: soft limit {r.Soft} exceeds hard limit {r.Hard}");
                }
            }
            if (process.OomScoreAdj is { } oom && (oom < -1000 || oom > 1000))
                errors.Add($"process.oomScoreAdj: {oom} is outside -1000..1000");
        }

        if (spec.Mounts is { } mounts)
        {
            for (var i = 0; i < mounts.Count; i++)
            {
                var m = mounts[i];
                if (string.IsNullOrEmpty(m.Destination))
                    errors.Add($"mounts[{i}].destination: missing");
                else if (!m.Destination.StartsWith('/'))
                    errors.Add($"mounts[{i}].destination: {Quote(m.Destination)} is not an absolute path");
                else if (HasDotDot(m.Destination))
                    errors.Add($"mounts[{i}].destination: {Quote(m.Destination)} contains '..'");
            }
        }

        if (spec.Linux is { } linux)
            ValidateLinux(linux, errors);

        if (spec.Hooks is { } hooks)
        {
            ValidateHooks("prestart", hooks.Prestart, errors);
            ValidateHooks("createRuntime", hooks.CreateRuntime, errors);
            ValidateHooks("createContainer", hooks.CreateContainer, errors);
            ValidateHooks("startContainer", hooks.StartContainer, errors);
            ValidateHooks("poststart", hooks.Poststart, errors);
            ValidateHooks("poststop", hooks.Poststop, errors);
        }

        if (errors.Count == 1)
            throw new SpecException($"invalid config.json: {errors[0]}");
        if (errors.Count > 1)
            throw new SpecException("invalid config.json:\n  " + string.Join("\n  ", errors));
    }

    private static void ValidateLinux(Linux linux, List<string> errors)
    {
        if (linux.Namespaces is { } namespaces)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < namespaces.Count; i++)
            {
                var ns = namespaces[i];
                if (!NamespaceType.IsKnown(ns.Type))
                    errors.Add($"linux.namespaces[{i}].type: unsupported namespace type {Quote(ns.Type)} (supported: {string.Join(", ", NamespaceType.All)})");
                else if (!seen.Add(ns.Type))
                    errors.Add($"linux.namespaces[{i}].type: duplicate namespace {ns.Type}");
                if (ns.Path is { Length: > 0 } p && !p.StartsWith('/'))
                    errors.Add($"linux.namespaces[{i}].path: {Quote(p)} is not an absolute path");
            }
            // A new user namespace without mappings leaves every id unmapped (config-linux.md, "User namespace mappings").
            var newUser = namespaces.Any(n => n.Type == NamespaceType.User && string.IsNullOrEmpty(n.Path));
            if (newUser && (linux.UidMappings is not { Count: > 0 } || linux.GidMappings is not { Count: > 0 }))
                errors.Add("linux.uidMappings/gidMappings: a new user namespace requires both uid and gid mappings");
            // With a joined one they may restate its mappings (runc requires them); the runtime checks they match.
            var anyUser = namespaces.Any(n => n.Type == NamespaceType.User);
            if (!anyUser && (linux.UidMappings is { Count: > 0 } || linux.GidMappings is { Count: > 0 }))
                errors.Add("linux.uidMappings: mappings are given but no user namespace is configured");
            if (linux.Sysctl is { Count: > 0 })
            {
                foreach (var key in linux.Sysctl.Keys)
                {
                    if (key.Contains('/', StringComparison.Ordinal) || key.Contains("..", StringComparison.Ordinal) || key.Length == 0)
                        errors.Add($"linux.sysctl: {Quote(key)} is not a sysctl name");
                }
            }
        }

        if (linux.RootfsPropagation is { } prop && !Propagations.Contains(prop))
            errors.Add($"linux.rootfsPropagation: unknown propagation {Quote(prop)}");

        CheckPaths("linux.maskedPaths", linux.MaskedPaths, errors);
        CheckPaths("linux.readonlyPaths", linux.ReadonlyPaths, errors);

        if (linux.Devices is { } devices)
        {
            for (var i = 0; i < devices.Count; i++)
            {
                var d = devices[i];
                if (!d.Path.StartsWith('/') || HasDotDot(d.Path))
                    errors.Add($"linux.devices[{i}].path: {Quote(d.Path)} must be an absolute path without '..'");
                if (d.Type is not ("c" or "b" or "u" or "p"))
                    errors.Add($"linux.devices[{i}].type: unknown device type {Quote(d.Type)} (c, b, u or p)");
            }
        }

        if (linux.Resources is { } res)
        {
            if (res.Devices is { } rules)
            {
                for (var i = 0; i < rules.Count; i++)
                {
                    var r = rules[i];
                    if (r.Type is not (null or "" or "a" or "c" or "b"))
                        errors.Add($"linux.resources.devices[{i}].type: unknown type {Quote(r.Type)} (a, c or b)");
                    if (r.Access is { Length: > 0 } access && access.Any(ch => ch is not ('r' or 'w' or 'm')))
                        errors.Add($"linux.resources.devices[{i}].access: {Quote(access)} may only contain r, w and m");
                }
            }
            if (res.Memory is { } mem)
            {
                if (mem.Limit is { } limit && mem.Swap is { } swap && swap > 0 && limit > 0 && swap < limit)
                    errors.Add($"linux.resources.memory.swap: {swap} is below memory.limit {limit} (swap is memory+swap)");
                if (mem.Swappiness is > 100)
                    errors.Add($"linux.resources.memory.swappiness: {mem.Swappiness} is above 100");
            }
            if (res.Cpu is { } cpu)
            {
                if (cpu.Period is { } period && period != 0 && (period < 1000 || period > 1_000_000))
                    errors.Add($"linux.resources.cpu.period: {period} is outside 1000..1000000 microseconds");
                if (cpu.Quota is { } quota && quota != -1 && quota != 0 && quota < 1000)
                    errors.Add($"linux.resources.cpu.quota: {quota} is below 1000 microseconds");
            }
            if (res.HugepageLimits is { } huge)
            {
                for (var i = 0; i < huge.Count; i++)
                {
                    if (!IsPageSize(huge[i].PageSize))
                        errors.Add($"linux.resources.hugepageLimits[{i}].pageSize: {Quote(huge[i].PageSize)} is not a page size such as 2MB or 1GB");
                }
            }
        }
    }

    private static void ValidateHooks(string name, List<Hook>? hooks, List<string> errors)
    {
        if (hooks is null)
            return;
        for (var i = 0; i < hooks.Count; i++)
        {
            if (!hooks[i].Path.StartsWith('/'))
                errors.Add($"hooks.{name}[{i}].path: {Quote(hooks[i].Path)} is not an absolute path");
            if (hooks[i].Timeout is <= 0)
                errors.Add($"hooks.{name}[{i}].timeout: must be greater than zero");
        }
    }

    private static void CheckPaths(string field, List<string>? paths, List<string> errors)
    {
        if (paths is null)
            return;
        for (var i = 0; i < paths.Count; i++)
        {
            if (!paths[i].StartsWith('/') || HasDotDot(paths[i]))
                errors.Add($"{field}[{i}]: {Quote(paths[i])} must be an absolute path without '..'");
        }
    }

    private static bool IsPageSize(string s)
    {
        var unitStart = 0;
        while (unitStart < s.Length && char.IsAsciiDigit(s[unitStart]))
            unitStart++;
        return unitStart > 0 && s[unitStart..] is "B" or "KB" or "MB" or "GB" or "TB" or "kB";
    }

    internal static bool HasDotDot(string path) => path.Split('/').Contains("..");

    private static string Quote(string? s) => s is null ? "null" : $"\"{s}\"";
}

/// <summary>The rlimit names of config.md ("POSIX process"), RLIMIT_* as getrlimit(2) defines them.</summary>
public static class RlimitNames
{
    public static readonly IReadOnlyList<string> All =
    [
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
        "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING",
        "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    ];

    /// <summary>The resource number for setrlimit(2): the index in the kernel's order.</summary>
    public static int ResourceNumber(string name) => All.ToList().IndexOf(name);

    public static bool IsKnown(string name) => ResourceNumber(name) >= 0;
}
