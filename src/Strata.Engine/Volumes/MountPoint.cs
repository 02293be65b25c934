namespace Strata.Engine.Volumes;

/// <summary>The kinds of mount a container can ask for, spelled as the API spells them.</summary>
public static class MountTypes
{
    public const string Bind = "bind";
    public const string Volume = "volume";
    public const string Tmpfs = "tmpfs";
}

/// <summary>
/// A container's mount, parsed and validated (moby's volume/mounts MountPoint): what inspect's Mounts shows,
/// and what the runtime bundle's mounts are made from when the container starts.
/// </summary>
public sealed record MountPoint
{
    /// <summary><see cref="MountTypes"/>.</summary>
    public required string Type { get; init; }

    /// <summary>In the container, cleaned.</summary>
    public required string Destination { get; init; }

    /// <summary>The host path: a bind's source, a volume's mountpoint once the volume exists; empty for tmpfs.</summary>
    public string Source { get; init; } = "";

    /// <summary>The volume's name; empty for an anonymous volume until it is created.</summary>
    public string Name { get; init; } = "";

    /// <summary>The volume driver ("local" once created).</summary>
    public string Driver { get; init; } = "";

    public bool RW { get; init; } = true;

    /// <summary>The mode text of a -v bind (e.g. "ro,z"), "z" for volumes of the local driver, as inspect shows it.</summary>
    public string Mode { get; init; } = "";

    /// <summary>Binds only: rprivate unless asked otherwise.</summary>
    public string Propagation { get; init; } = "";

    /// <summary>Copy the image's content at the destination into the volume when the volume is new and empty.</summary>
    public bool CopyData { get; init; }

    /// <summary>A plain bind instead of a recursive one (BindOptions.NonRecursive).</summary>
    public bool NonRecursive { get; init; }

    /// <summary>Binds from -v create a missing source (docker's historical behaviour); --mount binds do not.</summary>
    public bool CreateSource { get; init; }

    /// <summary>Anonymous volumes go with their container under `rm -v` and `--rm`; named ones stay.</summary>
    public bool Anonymous { get; init; }

    /// <summary>Volumes only: the directory inside the volume that is mounted.</summary>
    public string? Subpath { get; init; }

    /// <summary>Volumes created by this mount: their labels, driver options.</summary>
    public IReadOnlyDictionary<string, string>? VolumeLabels { get; init; }

    public IReadOnlyDictionary<string, string>? VolumeDriverOptions { get; init; }

    /// <summary>An entry of HostConfig.Tmpfs: mounted, but not among inspect's Mounts (docker lists only mount points).</summary>
    public bool FromTmpfsOption { get; init; }

    /// <summary>tmpfs only: the mount data ("size=64m,mode=1777"), from HostConfig.Tmpfs or TmpfsOptions.</summary>
    public string? TmpfsData { get; init; }
}
