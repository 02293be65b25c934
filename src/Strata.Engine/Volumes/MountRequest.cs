namespace Strata.Engine.Volumes;

/// <summary>Everything of a container create that asks for mounts.</summary>
public sealed record MountRequest
{
    /// <summary>HostConfig.Binds (`-v` with a source).</summary>
    public IReadOnlyList<string> Binds { get; init; } = [];

    /// <summary>HostConfig.Mounts (`--mount`).</summary>
    public IReadOnlyList<MountSpec> Mounts { get; init; } = [];

    /// <summary>HostConfig.Tmpfs (`--tmpfs /path[:options]`): destination to mount data.</summary>
    public IReadOnlyDictionary<string, string> Tmpfs { get; init; } = new Dictionary<string, string>();

    /// <summary>Config.Volumes (`-v /path`) and the image's VOLUMEs: anonymous volumes where nothing else is mounted.</summary>
    public IReadOnlyCollection<string> Volumes { get; init; } = [];

    /// <summary>HostConfig.VolumeDriver, for -v volumes that name none.</summary>
    public string? VolumeDriver { get; init; }

    /// <summary>A HostConfig.Mounts entry as the API sent it; a shape that is not a mount is docker's 400.</summary>
    public static MountSpec ReadMount(System.Text.Json.JsonElement json)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize(json, VolumeJson.Default.MountSpec)
                ?? throw new EngineException(EngineErrorCode.InvalidArgument, "invalid mount config: null");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "invalid JSON: " + e.Message, e);
        }
    }
}

/// <summary>
/// A container's mount points from its create request (the parsing half of moby's registerMountPoints and
/// createContainerVolumesOS): binds first, then mounts, then tmpfs, then anonymous volumes for the
/// declared volume paths nothing else covers. Two mounts at one destination are refused as docker does.
/// Pure: nothing is created; <see cref="VolumeService.Register"/> creates the volumes.
/// </summary>
public static class MountPlan
{
    public static IReadOnlyList<MountPoint> Parse(MountRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var points = new Dictionary<string, MountPoint>(StringComparer.Ordinal);
        var order = new List<string>();
        void Add(MountPoint p)
        {
            if (!points.ContainsKey(p.Destination))
            {
                order.Add(p.Destination);
            }
            points[p.Destination] = p;
        }
        var tmpfs = request.Tmpfs.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        foreach (var raw in request.Binds)
        {
            var bind = MountParser.ParseBind(raw, request.VolumeDriver);
            // moby compares the cleaned bind destination with the tmpfs keys as given.
            if (points.ContainsKey(bind.Destination) || tmpfs.ContainsKey(bind.Destination))
            {
                throw Duplicate(bind.Destination);
            }
            Add(bind);
        }
        foreach (var spec in request.Mounts)
        {
            var mount = MountParser.ParseMount(spec);
            if (points.ContainsKey(mount.Destination))
            {
                throw Duplicate(spec.Target!);
            }
            Add(mount);
        }
        foreach (var (destination, data) in tmpfs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            MountParser.ValidateTmpfsDestination(destination);
            // Bad options fail the create, not the start.
            MountParser.TmpfsMountOptions(data);
            var clean = GoPath.Clean(destination);
            if (!points.ContainsKey(clean))
            {
                Add(new MountPoint { Type = MountTypes.Tmpfs, Destination = clean, TmpfsData = data, FromTmpfsOption = true, RW = !data.Split(',').Contains("ro") });
            }
        }
        foreach (var path in request.Volumes.Order(StringComparer.Ordinal))
        {
            MountParser.ValidateTmpfsDestination(path);
            var destination = GoPath.Clean(path);
            if (points.ContainsKey(destination))
            {
                continue;
            }
            Add(new MountPoint
            {
                Type = MountTypes.Volume,
                Destination = destination,
                Driver = string.IsNullOrEmpty(request.VolumeDriver) ? MountParser.LocalDriver : request.VolumeDriver,
                CopyData = true,
                Anonymous = true,
            });
        }
        return order.Select(d => points[d]).ToList();
    }

    /// <summary>The order mounts are made in: parents before what is mounted inside them (moby's sortMounts).</summary>
    public static IReadOnlyList<MountPoint> InMountOrder(IEnumerable<MountPoint> points) =>
        points.OrderBy(p => GoPath.Clean(p.Destination).Count(c => c == '/')).ToList();

    private static EngineException Duplicate(string destination) =>
        new(EngineErrorCode.InvalidArgument, "Duplicate mount point: " + destination);
}
