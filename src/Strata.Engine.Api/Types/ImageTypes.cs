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
