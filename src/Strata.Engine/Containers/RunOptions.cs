namespace Strata.Engine.Containers;

/// <summary>What `strata run` was asked for; every field maps onto the runtime bundle's config.json.</summary>
public sealed class RunOptions
{
    public string Image { get; set; } = "";

    /// <summary>Replaces the image's Cmd (the Entrypoint stays), as docker run does.</summary>
    public IReadOnlyList<string> Command { get; set; } = [];

    public string? Name { get; set; }
    public bool Remove { get; set; }

    /// <summary>KEY=VALUE, or KEY to copy the value from strata's own environment.</summary>
    public IReadOnlyList<string> Env { get; set; } = [];

    public string? WorkingDir { get; set; }

    /// <summary>uid[:gid] or name[:group], names looked up in the image's /etc/passwd and /etc/group.</summary>
    public string? User { get; set; }

    /// <summary>host:container[:ro|rw] bind mounts.</summary>
    public IReadOnlyList<string> Volumes { get; set; } = [];

    public bool ReadOnly { get; set; }
    public long? MemoryBytes { get; set; }
    public double? Cpus { get; set; }
    public long? PidsLimit { get; set; }

    /// <summary>"none" (a private network namespace with loopback only) or "host".</summary>
    public string Network { get; set; } = "none";

    public bool Tty { get; set; }
    public bool Interactive { get; set; }
}
