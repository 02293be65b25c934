using System.Text.Json.Serialization;
using Strata.Oci.Image;

namespace Strata.Engine.Api.Types;

/// <summary>GET /images/json: one entry, the API's ImageSummary.</summary>
public sealed record ImageSummary
{
    /// <summary>The image's id: its config's digest.</summary>
    public required string Id { get; init; }
    public string ParentId { get; init; } = "";
    public required IReadOnlyList<string> RepoTags { get; init; }
    public required IReadOnlyList<string> RepoDigests { get; init; }
    /// <summary>Unix seconds.</summary>
    public long Created { get; init; }
    public long Size { get; init; }
    /// <summary>-1: not computed (the request did not ask for shared-size).</summary>
    public long SharedSize { get; init; } = -1;
    /// <summary>Before API 1.44 only; equal to Size.</summary>
    public long? VirtualSize { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>-1: not computed.</summary>
    public int Containers { get; init; } = -1;
}

/// <summary>GET /images/{name}/json: the API's ImageInspect.</summary>
public sealed record ImageInspect
{
    public required string Id { get; init; }
    public required IReadOnlyList<string> RepoTags { get; init; }
    public required IReadOnlyList<string> RepoDigests { get; init; }
    public string Parent { get; init; } = "";
    public string Comment { get; init; } = "";
    /// <summary>RFC 3339 with nanoseconds; left out when the image does not say.</summary>
    public string? Created { get; init; }
    public string DockerVersion { get; init; } = "";
    public string Author { get; init; } = "";
    /// <summary>The image config's "config" (image-spec config.md), with docker's field names.</summary>
    public ContainerConfig? Config { get; init; }
    public required string Architecture { get; init; }
    public string? Variant { get; init; }
    public required string Os { get; init; }
    public string? OsVersion { get; init; }
    public long Size { get; init; }
    /// <summary>Before API 1.44 only; equal to Size.</summary>
    public long? VirtualSize { get; init; }
    public required GraphDriverData GraphDriver { get; init; }
    public required ImageRootFs RootFS { get; init; }
    public required ImageMetadata Metadata { get; init; }
}

public sealed record GraphDriverData(string Name, IReadOnlyDictionary<string, string>? Data);

public sealed record ImageRootFs(string Type, IReadOnlyList<string> Layers);

/// <summary>LastTagTime: RFC 3339 with nanoseconds, or Go's zero time when never tagged.</summary>
public sealed record ImageMetadata(string LastTagTime);

/// <summary>GET /images/{name}/history: one entry, newest first.</summary>
public sealed record HistoryItem
{
    /// <summary>The image's id on its top entry, "&lt;missing&gt;" below (as dockerd's for pulled images).</summary>
    public required string Id { get; init; }
    /// <summary>Unix seconds.</summary>
    public long Created { get; init; }
    public string CreatedBy { get; init; } = "";
    public IReadOnlyList<string>? Tags { get; init; }
    public long Size { get; init; }
    public string Comment { get; init; } = "";
}

/// <summary>DELETE /images/{name} and image prune: one name untagged or one image or layer deleted.</summary>
public sealed record ImageDeleteResponseItem
{
    public string? Untagged { get; init; }
    public string? Deleted { get; init; }
}

/// <summary>POST /images/prune; ImagesDeleted is null (not left out) when nothing went, as Go writes a nil slice.</summary>
public sealed record ImagePruneReport(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] IReadOnlyList<ImageDeleteResponseItem>? ImagesDeleted,
    long SpaceReclaimed);

/// <summary>
/// Registry credentials as clients send them: POST /auth's body, and X-Registry-Auth (base64url of this
/// JSON) on pull and push (moby's api/types/registry.AuthConfig).
/// </summary>
public sealed record AuthConfig
{
    [JsonPropertyName("username")]
    public string? Username { get; init; }
    [JsonPropertyName("password")]
    public string? Password { get; init; }
    /// <summary>base64("user:password"), as in a docker config file.</summary>
    [JsonPropertyName("auth")]
    public string? Auth { get; init; }
    [JsonPropertyName("email")]
    public string? Email { get; init; }
    [JsonPropertyName("serveraddress")]
    public string? ServerAddress { get; init; }
    [JsonPropertyName("identitytoken")]
    public string? IdentityToken { get; init; }
    [JsonPropertyName("registrytoken")]
    public string? RegistryToken { get; init; }
}

/// <summary>POST /auth's answer (moby's AuthenticateOKBody).</summary>
public sealed record AuthResponse(string IdentityToken, string Status);

/// <summary>
/// One line of a progress stream (moby's pkg/jsonmessage.JSONMessage): pull, push, load. The docker CLI
/// draws a bar from progressDetail on a terminal and prints status lines otherwise.
/// </summary>
public sealed record JsonMessage
{
    [JsonPropertyName("stream")]
    public string? Stream { get; init; }
    [JsonPropertyName("status")]
    public string? Status { get; init; }
    /// <summary>Present (possibly {}) on per-layer lines, absent on plain status lines.</summary>
    [JsonPropertyName("progressDetail")]
    public JsonProgress? ProgressDetail { get; init; }
    /// <summary>The bar as text, for old clients.</summary>
    [JsonPropertyName("progress")]
    public string? Progress { get; init; }
    [JsonPropertyName("id")]
    public string? Id { get; init; }
    [JsonPropertyName("errorDetail")]
    public JsonError? ErrorDetail { get; init; }
    [JsonPropertyName("error")]
    public string? Error { get; init; }
    [JsonPropertyName("aux")]
    public PushResult? Aux { get; init; }

    public static JsonMessage Failure(string message) => new() { ErrorDetail = new JsonError(message), Error = message };
}

/// <summary>Bytes done of a total; zero values are left out, as Go's omitempty does.</summary>
public sealed record JsonProgress
{
    public static readonly JsonProgress None = new();

    [JsonPropertyName("current")]
    public long? Current { get; init; }
    [JsonPropertyName("total")]
    public long? Total { get; init; }
}

public sealed record JsonError([property: JsonPropertyName("message")] string Message);

/// <summary>The aux record of a push's last line (moby's types.PushResult).</summary>
public sealed record PushResult(string Tag, string Digest, int Size);
