using System.Text.Json.Serialization;

namespace Strata.Engine.Api.Types;

/// <summary>An event as `/events` streams it (moby's api/types/events.Message).</summary>
public sealed record EventMessage
{
    /// <summary>Deprecated since API 1.22 (the action); sent to clients older than 1.52 for container and image events.</summary>
    [JsonPropertyName("status")]
    public string? Status { get; init; }

    /// <summary>Deprecated: the actor's id.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    /// <summary>Deprecated: a container's image.</summary>
    [JsonPropertyName("from")]
    public string? From { get; init; }

    public required string Type { get; init; }
    public required string Action { get; init; }
    public required EventActor Actor { get; init; }

    [JsonPropertyName("scope")]
    public string Scope { get; init; } = "local";

    [JsonPropertyName("time")]
    public long Time { get; init; }

    [JsonPropertyName("timeNano")]
    public long TimeNano { get; init; }
}

public sealed record EventActor(string ID, IReadOnlyDictionary<string, string> Attributes);
