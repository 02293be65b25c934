using System.Globalization;
using System.Text;

namespace Strata.Engine.Volumes;

/// <summary>
/// docker's mount syntax and rules on Linux (moby volume/mounts/linux_parser.go), with its error texts:
/// HostConfig.Binds entries (`-v`: <c>name:/path[:mode]</c>, <c>/host:/path[:mode]</c>, <c>/path</c>),
/// HostConfig.Mounts entries (`--mount`), and tmpfs options. Every failure is an
/// <see cref="EngineErrorCode.InvalidArgument"/> (the API's 400) and nothing is created by parsing.
/// </summary>
public static class MountParser
{
    public const string DefaultPropagation = "rprivate";

    /// <summary>docker's volume.DefaultDriverName.</summary>
    public const string LocalDriver = "local";

    private static readonly HashSet<string> RwModes = ["rw", "ro", "ro-non-recursive", "ro-force-recursive", "rro"];
    private static readonly HashSet<string> ReadOnlyModes = ["ro", "ro-non-recursive", "ro-force-recursive", "rro"];
    private static readonly HashSet<string> LabelModes = ["z", "Z"];
    private static readonly HashSet<string> PropagationModes = ["private", "rprivate", "slave", "rslave", "shared", "rshared"];
    private static readonly HashSet<string> ConsistencyModes = ["consistent", "cached", "delegated"];
    private const string NoCopyMode = "nocopy";

    /// <summary>
    /// A HostConfig.Binds entry (moby's ParseMountRaw). A bind's source is not checked here: a -v bind
    /// whose source is missing gets it created when the container starts, as docker does.
    /// </summary>
    public static MountPoint ParseBind(string raw, string? volumeDriver = null)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var parts = raw.Split(':', 4);
        if (parts[0].Length == 0)
        {
            throw InvalidSpec(raw);
        }
        var spec = new MountSpec();
        var mode = "";
        switch (parts.Length)
        {
            case 1:
                spec.Target = parts[0];
                break;
            case 2:
                // "/foo:rw" is a destination and a mode: a volume cannot be only that.
                if (IsValidMode(parts[1]))
                {
                    throw InvalidSpec(raw);
                }
                spec.Source = parts[0];
                spec.Target = parts[1];
                break;
            case 3:
                spec.Source = parts[0];
                spec.Target = parts[1];
                mode = parts[2];
                break;
            default:
                throw InvalidSpec(raw);
        }
        if (!IsValidMode(mode))
        {
            throw Invalid($"invalid mode: {mode}");
        }
        spec.Type = GoPath.IsAbs(spec.Source ?? "") ? MountTypes.Bind : MountTypes.Volume;
        var options = mode.Split(',');
        spec.ReadOnly = options.Any(ReadOnlyModes.Contains);
        if (!string.IsNullOrEmpty(volumeDriver) && spec.Type == MountTypes.Volume)
        {
            spec.VolumeOptions = new VolumeOptions { DriverConfig = new VolumeDriverConfig { Name = volumeDriver } };
        }
        if (options.Contains(NoCopyMode))
        {
            spec.VolumeOptions ??= new VolumeOptions();
            spec.VolumeOptions.NoCopy = true;
        }
        if (options.FirstOrDefault(PropagationModes.Contains) is { } propagation)
        {
            spec.BindOptions = new BindOptions { Propagation = propagation };
        }
        try
        {
            // The source of a -v bind may be missing: it is created at start.
            var point = Parse(spec, validateBindSourceExists: false);
            return point with { Mode = mode, CreateSource = point.Type == MountTypes.Bind };
        }
        catch (EngineException e)
        {
            throw Invalid($"invalid volume specification: '{raw}': {e.Message}");
        }
    }

    /// <summary>A HostConfig.Mounts entry (moby's ParseMountSpec): a bind's source must exist unless BindOptions.CreateMountpoint.</summary>
    public static MountPoint ParseMount(MountSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var point = Parse(spec, validateBindSourceExists: true);
        return point with { CreateSource = point.Type == MountTypes.Bind && spec.BindOptions?.CreateMountpoint == true };
    }

    /// <summary>moby's ValidateMountConfig, the check container create runs on each HostConfig.Mounts entry.</summary>
    public static void Validate(MountSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Validate(spec, validateBindSourceExists: true);
    }

    /// <summary>A HostConfig.Tmpfs key (moby's ValidateTmpfsMountDestination).</summary>
    public static void ValidateTmpfsDestination(string destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if ((ValidateNotRoot(destination) ?? ValidateAbsolute(destination)) is { } error)
        {
            throw Invalid(error);
        }
    }

    /// <summary>
    /// TmpfsOptions as mount data (moby's ConvertTmpfsOptions): "ro", "mode=OCTAL", "size=N[k|m|g]" with the
    /// largest unit that divides the size, then the extra options (exec or noexec only).
    /// </summary>
    public static string ConvertTmpfsOptions(TmpfsOptions? options, bool readOnly)
    {
        var raw = new List<string>();
        if (readOnly)
        {
            raw.Add("ro");
        }
        if (options is { Mode: not 0 })
        {
            raw.Add("mode=" + Convert.ToString(options.Mode, 8));
        }
        if (options is { SizeBytes: not 0 })
        {
            var size = options.SizeBytes;
            var suffix = "";
            foreach (var (unit, divisor) in new[] { ("g", 1L << 30), ("m", 1L << 20), ("k", 1L << 10) })
            {
                if (size % divisor == 0)
                {
                    size /= divisor;
                    suffix = unit;
                    break;
                }
            }
            raw.Add(string.Create(CultureInfo.InvariantCulture, $"size={size}{suffix}"));
        }
        foreach (var option in options?.Options ?? [])
        {
            if (option.Count is < 1 or > 2)
            {
                throw Invalid("invalid option array length");
            }
            if (option[0] is not ("exec" or "noexec"))
            {
                throw Invalid("invalid option: " + option[0]);
            }
            raw.Add(option.Count == 1 ? option[0] : option[0] + "=" + option[1]);
        }
        return string.Join(',', raw);
    }

    /// <summary>
    /// The options of a tmpfs mount in the bundle: docker's defaults (noexec, nosuid, nodev, rprivate) then
    /// the user's, merged as moby/sys/mount's MergeTmpfsOptions does: the last of each flag (and of its
    /// opposite) wins, and the last value of each data key. Data keys other than tmpfs's are refused.
    /// </summary>
    public static List<string> TmpfsMountOptions(string? data)
    {
        var options = new List<string> { "noexec", "nosuid", "nodev", DefaultPropagation };
        if (!string.IsNullOrEmpty(data))
        {
            options.AddRange(data.Split(','));
        }
        return MergeTmpfsOptions(options);
    }

    public static List<string> MergeTmpfsOptions(IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var flagsSeen = new HashSet<string>(StringComparer.Ordinal);
        var dataSeen = new HashSet<string>(StringComparer.Ordinal);
        var merged = new List<string>();
        for (var i = options.Count - 1; i >= 0; i--)
        {
            var option = options[i];
            if (option == "defaults")
            {
                continue;
            }
            if (MountOptions.FlagKey(option) is { } key)
            {
                if (flagsSeen.Add(key))
                {
                    merged.Insert(0, option);
                }
                continue;
            }
            var kv = option.Split('=', 2);
            if (kv.Length != 2 || !TmpfsDataKeys.Contains(kv[0]))
            {
                throw Invalid("invalid tmpfs option " + GoQuoteList(kv));
            }
            if (dataSeen.Add(kv[0]))
            {
                merged.Insert(0, option);
            }
        }
        return merged;
    }

    private static readonly HashSet<string> TmpfsDataKeys = ["size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"];

    /// <summary>A -v mode: comma-separated, at most one of each kind (rw/ro, z/Z, propagation, nocopy, consistency).</summary>
    public static bool IsValidMode(string mode)
    {
        ArgumentNullException.ThrowIfNull(mode);
        if (mode.Length == 0)
        {
            return true;
        }
        int rw = 0, label = 0, propagation = 0, copy = 0, consistency = 0;
        foreach (var o in mode.Split(','))
        {
            if (RwModes.Contains(o))
            {
                rw++;
            }
            else if (LabelModes.Contains(o))
            {
                label++;
            }
            else if (PropagationModes.Contains(o))
            {
                propagation++;
            }
            else if (o == NoCopyMode)
            {
                copy++;
            }
            else if (ConsistencyModes.Contains(o))
            {
                consistency++;
            }
            else
            {
                return false;
            }
        }
        return rw <= 1 && label <= 1 && propagation <= 1 && copy <= 1 && consistency <= 1;
    }

    private static MountPoint Parse(MountSpec spec, bool validateBindSourceExists)
    {
        Validate(spec, validateBindSourceExists);
        var destination = GoPath.Clean(spec.Target!);
        switch (spec.Type)
        {
            case MountTypes.Volume:
                var options = spec.VolumeOptions;
                return new MountPoint
                {
                    Type = MountTypes.Volume,
                    Destination = destination,
                    RW = !spec.ReadOnly,
                    Name = spec.Source ?? "",
                    Driver = options?.DriverConfig?.Name is { Length: > 0 } driver ? driver : LocalDriver,
                    CopyData = options?.NoCopy != true,
                    Anonymous = string.IsNullOrEmpty(spec.Source),
                    Subpath = string.IsNullOrEmpty(options?.Subpath) ? null : options.Subpath,
                    VolumeLabels = options?.Labels,
                    VolumeDriverOptions = options?.DriverConfig?.Options,
                };
            case MountTypes.Bind:
                return new MountPoint
                {
                    Type = MountTypes.Bind,
                    Destination = destination,
                    RW = !spec.ReadOnly,
                    Source = GoPath.Clean(spec.Source!),
                    Propagation = spec.BindOptions?.Propagation is { Length: > 0 } p ? p : DefaultPropagation,
                    NonRecursive = spec.BindOptions?.NonRecursive == true,
                };
            default:
                return new MountPoint
                {
                    Type = MountTypes.Tmpfs,
                    Destination = destination,
                    RW = !spec.ReadOnly,
                    TmpfsData = ConvertTmpfsOptions(spec.TmpfsOptions, spec.ReadOnly),
                };
        }
    }

    private static void Validate(MountSpec spec, bool validateBindSourceExists)
    {
        string? Check()
        {
            if (string.IsNullOrEmpty(spec.Target))
            {
                return MissingField("Target");
            }
            if ((ValidateNotRoot(spec.Target) ?? ValidateAbsolute(spec.Target)) is { } targetError)
            {
                return targetError;
            }
            switch (spec.Type)
            {
                case MountTypes.Bind:
                    if (string.IsNullOrEmpty(spec.Source))
                    {
                        return MissingField("Source");
                    }
                    if (spec.BindOptions?.Propagation is { Length: > 0 } propagation && !PropagationModes.Contains(propagation))
                    {
                        return "invalid propagation mode: " + propagation;
                    }
                    if (spec.VolumeOptions is not null)
                    {
                        return ExtraField("VolumeOptions");
                    }
                    if (ValidateAbsolute(spec.Source) is { } sourceError)
                    {
                        return sourceError;
                    }
                    if (validateBindSourceExists && !Path.Exists(spec.Source) && spec.BindOptions?.CreateMountpoint != true)
                    {
                        return "bind source path does not exist: " + spec.Source;
                    }
                    return null;
                case MountTypes.Volume:
                    if (spec.BindOptions is not null)
                    {
                        return ExtraField("BindOptions");
                    }
                    var anonymous = string.IsNullOrEmpty(spec.Source);
                    if (spec.VolumeOptions?.Subpath is { Length: > 0 } subpath)
                    {
                        if (anonymous)
                        {
                            return "must not set Subpath when using anonymous volumes";
                        }
                        if (!IsLocal(subpath))
                        {
                            return "subpath must be a relative path within the volume";
                        }
                    }
                    if (spec.ReadOnly && anonymous)
                    {
                        return "must not set ReadOnly mode when using anonymous volumes";
                    }
                    return null;
                case MountTypes.Tmpfs:
                    if (spec.BindOptions is not null)
                    {
                        return ExtraField("BindOptions");
                    }
                    if (!string.IsNullOrEmpty(spec.Source))
                    {
                        return ExtraField("Source");
                    }
                    try
                    {
                        ConvertTmpfsOptions(spec.TmpfsOptions, spec.ReadOnly);
                    }
                    catch (EngineException e)
                    {
                        return e.Message;
                    }
                    return null;
                case "image":
                    return "image mounts are not supported by this daemon";
                default:
                    return "mount type unknown";
            }
        }
        if (Check() is { } error)
        {
            throw Invalid($"invalid mount config for type {GoQuote(spec.Type ?? "")}: {error}");
        }
    }

    private static string? ValidateNotRoot(string path) =>
        GoPath.Clean(path.Replace('\\', '/')) == "/" ? "invalid specification: destination can't be '/'" : null;

    private static string? ValidateAbsolute(string path)
    {
        path = path.Replace('\\', '/');
        return GoPath.IsAbs(path) ? null : $"invalid mount path: '{path}' mount path must be absolute";
    }

    /// <summary>Go's filepath.IsLocal: relative, not empty, and not climbing out with "..".</summary>
    private static bool IsLocal(string path)
    {
        if (path.Length == 0 || GoPath.IsAbs(path))
        {
            return false;
        }
        var clean = GoPath.Clean(path);
        return clean != ".." && !clean.StartsWith("../", StringComparison.Ordinal);
    }

    private static string MissingField(string name) => $"field {name} must not be empty";

    private static string ExtraField(string name) => $"field {name} must not be specified";

    private static EngineException InvalidSpec(string raw) => Invalid($"invalid volume specification: '{raw}'");

    private static EngineException Invalid(string message) => new(EngineErrorCode.InvalidArgument, message);

    /// <summary>Go's %q of a string, for the ASCII docker's messages meet.</summary>
    internal static string GoQuote(string s)
    {
        var b = new StringBuilder("\"");
        foreach (var c in s)
        {
            b.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                _ => c.ToString(),
            });
        }
        return b.Append('"').ToString();
    }

    /// <summary>Go's %q of a []string: ["a" "b"].</summary>
    private static string GoQuoteList(IEnumerable<string> items) => "[" + string.Join(' ', items.Select(GoQuote)) + "]";
}
