namespace Strata.Engine.Volumes;

/// <summary>
/// A named volume of the local driver, as docker keeps it: its data in ROOT/volumes/NAME/_data (the
/// Mountpoint), with labels and the driver's options (type, device, o) kept beside it.
/// </summary>
public sealed record Volume(
    string Name,
    string Driver,
    string Mountpoint,
    DateTimeOffset CreatedAt,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Options)
{
    /// <summary>The label docker (API 1.42 and later) puts on volumes created without a name; prune takes only these by default.</summary>
    public const string AnonymousLabel = "com.docker.volume.anonymous";

    /// <summary>A local volume is this host's only.</summary>
    public const string Scope = "local";

    public bool Anonymous => Labels.ContainsKey(AnonymousLabel);
}

/// <summary>A volume and the containers that reference it (created, running or stopped, until removed).</summary>
public sealed record VolumeUsage(Volume Volume, IReadOnlyList<string> Containers)
{
    public bool Dangling => Containers.Count == 0;
}

/// <summary>What a prune removed.</summary>
public sealed record VolumePruneReport(IReadOnlyList<string> Deleted, ulong SpaceReclaimed);
