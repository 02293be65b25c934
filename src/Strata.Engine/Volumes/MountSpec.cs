namespace Strata.Engine.Volumes;

/// <summary>
/// One entry of HostConfig.Mounts (the API's mount.Mount, `--mount`): property names are the API's, so the
/// API layer can read its JSON into this type directly.
/// </summary>
public sealed class MountSpec
{
    /// <summary>bind, volume or tmpfs (image, npipe and cluster are docker's too, not served here).</summary>
    public string? Type { get; set; }

    /// <summary>A host path (bind), a volume name (volume; empty for an anonymous one), nothing for tmpfs.</summary>
    public string? Source { get; set; }

    public string? Target { get; set; }
    public bool ReadOnly { get; set; }

    /// <summary>consistent, cached, delegated or default: meaningful on Docker Desktop only, accepted and ignored.</summary>
    public string? Consistency { get; set; }

    public BindOptions? BindOptions { get; set; }
    public VolumeOptions? VolumeOptions { get; set; }
    public TmpfsOptions? TmpfsOptions { get; set; }
}

public sealed class BindOptions
{
    /// <summary>private, rprivate, shared, rshared, slave or rslave; rprivate when empty.</summary>
    public string? Propagation { get; set; }

    /// <summary>A plain bind: submounts of the source are not carried over.</summary>
    public bool NonRecursive { get; set; }

    /// <summary>Create the source when missing instead of refusing it (API 1.42).</summary>
    public bool CreateMountpoint { get; set; }

    public bool ReadOnlyNonRecursive { get; set; }
    public bool ReadOnlyForceRecursive { get; set; }
}

public sealed class VolumeOptions
{
    /// <summary>Do not copy the image's content at the target into a new, empty volume.</summary>
    public bool NoCopy { get; set; }

    /// <summary>Labels of the volume, when this mount creates it.</summary>
    public Dictionary<string, string>? Labels { get; set; }

    /// <summary>A directory inside the volume to mount instead of its root (API 1.45).</summary>
    public string? Subpath { get; set; }

    public VolumeDriverConfig? DriverConfig { get; set; }
}

public sealed class VolumeDriverConfig
{
    public string? Name { get; set; }
    public Dictionary<string, string>? Options { get; set; }
}

public sealed class TmpfsOptions
{
    /// <summary>The size in bytes; 0 is the kernel's default (half of RAM).</summary>
    public long SizeBytes { get; set; }

    /// <summary>The permission bits of the tmpfs root (Go's os.FileMode, a number); 0 is the kernel's default.</summary>
    public uint Mode { get; set; }

    /// <summary>Extra options as [name] or [name, value] pairs; docker accepts exec and noexec.</summary>
    public List<List<string>>? Options { get; set; }
}
