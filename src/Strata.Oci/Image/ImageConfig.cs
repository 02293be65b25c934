using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strata.Oci.Image;

/// <summary>
/// An image configuration (image-spec config.md). Property names inside "config" are PascalCase in the
/// spec (inherited from Docker), while "rootfs" and "history" use snake_case; the attributes say so.
/// </summary>
public sealed class ImageConfig
{
    public DateTimeOffset? Created { get; set; }
    public string? Author { get; set; }
    public string Architecture { get; set; } = "";
    public string Os { get; set; } = "";

    [JsonPropertyName("os.version")]
    public string? OsVersion { get; set; }

    [JsonPropertyName("os.features")]
    public List<string>? OsFeatures { get; set; }

    public string? Variant { get; set; }
    public ContainerConfig? Config { get; set; }
    [JsonPropertyName("rootfs")]
    public RootFs RootFs { get; set; } = new();
    public List<History>? History { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}

/// <summary>The execution parameters a runtime uses by default (image-spec config.md, "config").</summary>
public sealed class ContainerConfig
{
    [JsonPropertyName("User")]
    public string? User { get; set; }

    /// <summary>Keys are "port/protocol"; values are empty objects in the spec.</summary>
    [JsonPropertyName("ExposedPorts")]
    public Dictionary<string, JsonElement>? ExposedPorts { get; set; }

    [JsonPropertyName("Env")]
    public List<string>? Env { get; set; }

    [JsonPropertyName("Entrypoint")]
    public List<string>? Entrypoint { get; set; }

    [JsonPropertyName("Cmd")]
    public List<string>? Cmd { get; set; }

    [JsonPropertyName("Volumes")]
    public Dictionary<string, JsonElement>? Volumes { get; set; }

    [JsonPropertyName("WorkingDir")]
    public string? WorkingDir { get; set; }

    [JsonPropertyName("Labels")]
    public Dictionary<string, string>? Labels { get; set; }

    [JsonPropertyName("StopSignal")]
    public string? StopSignal { get; set; }

    [JsonPropertyName("ArgsEscaped")]
    public bool? ArgsEscaped { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}

/// <summary>The uncompressed layer digests, in order (image-spec config.md, "rootfs").</summary>
public sealed class RootFs
{
    [JsonPropertyName("type")]
    public string Type { get; set; } = "layers";

    [JsonPropertyName("diff_ids")]
    public List<Digest> DiffIds { get; set; } = [];
}

/// <summary>One build step (image-spec config.md, "history").</summary>
public sealed class History
{
    [JsonPropertyName("created")]
    public DateTimeOffset? Created { get; set; }

    [JsonPropertyName("created_by")]
    public string? CreatedBy { get; set; }

    [JsonPropertyName("author")]
    public string? Author { get; set; }

    [JsonPropertyName("comment")]
    public string? Comment { get; set; }

    [JsonPropertyName("empty_layer")]
    public bool? EmptyLayer { get; set; }
}
