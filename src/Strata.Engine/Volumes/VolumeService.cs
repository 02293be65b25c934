using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Strata.Engine.Events;
using Strata.Linux;

namespace Strata.Engine.Volumes;

/// <summary>
/// Named volumes of docker's local driver under ROOT/volumes: NAME/_data holds the data (or is where the
/// driver's options mount something: `type=tmpfs,device=tmpfs,o=size=64m`, `type=none,o=bind,device=/x`),
/// volumes.db the records, the references of containers and their mount points. A volume outlives its
/// containers; a referenced one cannot be removed. All calls are serialized by one lock: the store is one
/// SQLite connection, and a mount's reference count must change with its mount.
/// </summary>
public sealed partial class VolumeService : IDisposable
{
    private static readonly HashSet<string> ValidOptions = ["type", "o", "device", "size"];

    private readonly VolumeStore _store;
    private readonly ISyscalls _syscalls;
    private readonly TimeProvider _time;
    private readonly EventBus? _events;
    private readonly Lock _lock = new();

    /// <summary>Volumes mounted by their options, and the containers using each mount.</summary>
    private readonly Dictionary<string, HashSet<string>> _active = new(StringComparer.Ordinal);

    /// <param name="root">strata's --root; volumes live in ROOT/volumes.</param>
    /// <param name="events">Where create, mount, unmount and destroy are published, with docker's attributes.</param>
    public VolumeService(string root, EventBus? events = null, ISyscalls? syscalls = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Location = Path.Combine(Path.GetFullPath(root), "volumes");
        // 0701, as dockerd's: others may reach a volume's data through its path, not list the names.
        Directory.CreateDirectory(Location, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
        _store = new VolumeStore(Location);
        _syscalls = syscalls ?? LinuxSyscalls.Instance;
        _time = time ?? TimeProvider.System;
        _events = events;
    }

    /// <summary>ROOT/volumes.</summary>
    public string Location { get; }

    /// <summary>
    /// Creates a volume, or returns the one of that name (docker's create is idempotent). An empty name
    /// makes an anonymous volume: a random 64-hex name and the anonymous label.
    /// </summary>
    public Volume Create(string? name, string? driver = null, IReadOnlyDictionary<string, string>? options = null, IReadOnlyDictionary<string, string>? labels = null)
    {
        lock (_lock)
        {
            return CreateLocked(name, driver, options, labels, out _);
        }
    }

    /// <summary>The volume, or <see cref="EngineErrorCode.NotFound"/> "get NAME: no such volume".</summary>
    public Volume Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            return Find(name) ?? throw NoSuchVolume(name);
        }
    }

    /// <summary>Every volume with the containers referencing it, by name.</summary>
    public IReadOnlyList<VolumeUsage> List()
    {
        lock (_lock)
        {
            var refs = _store.AllReferences();
            return _store.List().Select(r => new VolumeUsage(ToVolume(r), refs.TryGetValue(r.Name, out var c) ? c : [])).ToList();
        }
    }

    /// <summary>
    /// Removes a volume and its data. A volume a container references is <see cref="EngineErrorCode.InUse"/>
    /// (docker's 409, force or not); with <paramref name="force"/> a missing volume is not an error.
    /// </summary>
    public void Remove(string name, bool force = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            var volume = Find(name);
            if (volume is null)
            {
                if (force)
                {
                    return;
                }
                throw NoSuchVolume(name);
            }
            RemoveLocked(volume);
        }
    }

    /// <summary>
    /// Removes the volumes no container references: anonymous ones only unless <paramref name="all"/> (API 1.42
    /// and later; older clients prune all), and only those matching every label filter ("key", "key=value";
    /// <paramref name="labelsNot"/> excludes). Returns the names and the bytes their data took.
    /// </summary>
    public VolumePruneReport Prune(bool all, IReadOnlyList<string>? labels = null, IReadOnlyList<string>? labelsNot = null)
    {
        lock (_lock)
        {
            var refs = _store.AllReferences();
            var deleted = new List<string>();
            ulong reclaimed = 0;
            foreach (var row in _store.List())
            {
                var name = row.Name;
                var volume = ToVolume(row);
                if (refs.ContainsKey(name) || (!all && !volume.Anonymous)
                    || !(labels ?? []).All(l => LabelFilter.Matches(volume.Labels, l))
                    || (labelsNot ?? []).Any(l => LabelFilter.Matches(volume.Labels, l)))
                {
                    continue;
                }
                var size = DirectorySize(volume.Mountpoint);
                RemoveLocked(volume);
                deleted.Add(name);
                reclaimed += size;
            }
            return new VolumePruneReport(deleted, reclaimed);
        }
    }

    public void Dispose() => _store.Dispose();

    private Volume CreateLocked(string? name, string? driver, IReadOnlyDictionary<string, string>? options, IReadOnlyDictionary<string, string>? labels, out bool created)
    {
        created = false;
        driver = string.IsNullOrEmpty(driver) ? MountParser.LocalDriver : driver;
        if (driver != MountParser.LocalDriver)
        {
            throw new EngineException(EngineErrorCode.NotFound, $"error looking up volume plugin {driver}: plugin \"{driver}\" not found");
        }
        var labelSet = new Dictionary<string, string>(labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (string.IsNullOrEmpty(name))
        {
            name = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            labelSet[Volume.AnonymousLabel] = "";
        }
        else if (Find(name) is { } existing)
        {
            return existing;
        }
        ValidateName(name);
        var optionSet = new Dictionary<string, string>(options ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        ValidateOptions(optionSet);
        var dir = Path.Combine(Location, name);
        var data = Path.Combine(dir, "_data");
        if (Directory.Exists(dir))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"volume already exists under {dir}");
        }
        Directory.CreateDirectory(data);
        try
        {
            _store.Insert(name, driver, _time.GetUtcNow(), labelSet, optionSet);
        }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }
        created = true;
        Publish("create", name, new() { ["driver"] = driver });
        return Find(name)!;
    }

    private void RemoveLocked(Volume volume)
    {
        var refs = _store.References(volume.Name);
        if (refs.Count > 0 || _active.ContainsKey(volume.Name))
        {
            var users = refs.Count > 0 ? refs : [.. _active[volume.Name]];
            throw new EngineException(EngineErrorCode.InUse, $"remove {volume.Name}: volume is in use - [{string.Join(", ", users)}]");
        }
        // A mount left by a daemon that died while a container used the volume: the data is not ours to delete.
        if (NeedsMount(volume) && MountTable.IsMountPoint(volume.Mountpoint))
        {
            _syscalls.Unmount(volume.Mountpoint, detach: false);
        }
        // The record first: a crash leaves a directory without a volume, never a volume without its data.
        _store.Delete(volume.Name);
        var dir = Path.Combine(Location, volume.Name);
        if (Directory.Exists(dir))
        {
            // Directory.Delete removes symlinks without following them, so data outside stays.
            Directory.Delete(dir, recursive: true);
        }
        Publish("destroy", volume.Name, new() { ["driver"] = volume.Driver });
    }

    private Volume? Find(string name)
    {
        var row = _store.Get(name);
        return row is null ? null : ToVolume(row);
    }

    private Volume ToVolume(VolumeRow row) =>
        new(row.Name, row.Driver, Path.Combine(Location, row.Name, "_data"), row.Created, row.Labels, row.Options);

    private void Publish(string action, string volume, Dictionary<string, string> attributes) =>
        _events?.Publish(EventType.Volume, action, volume, attributes);

    private static EngineException NoSuchVolume(string name) => new(EngineErrorCode.NotFound, $"get {name}: no such volume");

    /// <summary>The local driver's name rule: the name becomes a directory, so nothing that could leave ROOT/volumes.</summary>
    private static void ValidateName(string name)
    {
        if (name.Length == 1)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "volume name is too short, names should be at least two alphanumeric characters");
        }
        if (!VolumeName().IsMatch(name))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument,
                $"{MountParser.GoQuote(name)} includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path");
        }
    }

    /// <summary>The local driver's options (volume/local/local_unix.go validateOpts): type, device and o go together; size needs quotas.</summary>
    private static void ValidateOptions(Dictionary<string, string> options)
    {
        foreach (var key in options.Keys.Order(StringComparer.Ordinal))
        {
            if (!ValidOptions.Contains(key))
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid option: {MountParser.GoQuote(key)}");
            }
        }
        if (options.ContainsKey("size"))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "quota size requested but no quota support");
        }
        foreach (var (option, required) in new[] { ("device", new[] { "type" }), ("type", ["device"]), ("o", ["device", "type"]) })
        {
            if (options.ContainsKey(option) && required.FirstOrDefault(r => !options.ContainsKey(r)) is { } missing)
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"missing required option: {MountParser.GoQuote(missing)}");
            }
        }
    }

    private static bool NeedsMount(Volume volume) =>
        volume.Options.ContainsKey("type") || volume.Options.ContainsKey("device");

    /// <summary>Bytes of the files under a volume's data (symlinks not followed), what prune reports reclaimed.</summary>
    private static ulong DirectorySize(string path)
    {
        if (!Directory.Exists(path))
        {
            return 0;
        }
        ulong total = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", options))
        {
            if (file.LinkTarget is null)
            {
                total += (ulong)file.Length;
            }
        }
        return total;
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex VolumeName();
}

/// <summary>docker's label filters: "key" matches a label of that key, "key=value" that value.</summary>
public static class LabelFilter
{
    public static bool Matches(IReadOnlyDictionary<string, string> labels, string filter)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(filter);
        var kv = filter.Split('=', 2);
        return labels.TryGetValue(kv[0], out var value) && (kv.Length == 1 || value == kv[1]);
    }
}

/// <summary>/proc/self/mountinfo, read for whether a path is a mount point.</summary>
internal static class MountTable
{
    public static bool IsMountPoint(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4 && Unescape(fields[4]) == full)
            {
                return true;
            }
        }
        return false;
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo (proc(5)).
    private static string Unescape(string s) =>
        s.Contains('\\', StringComparison.Ordinal)
            ? Regex.Replace(s, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString())
            : s;
}
