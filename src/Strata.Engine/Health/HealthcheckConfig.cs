using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strata.Engine.Health;

/// <summary>
/// docker's container.HealthConfig (Config.Healthcheck, the image's HEALTHCHECK): Test is ["NONE"],
/// ["CMD", args...] or ["CMD-SHELL", command]; empty inherits. Durations are nanoseconds; zero is the default.
/// </summary>
public sealed record HealthcheckConfig
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultStartInterval = TimeSpan.FromSeconds(5);
    public const int DefaultRetries = 3;

    public IReadOnlyList<string>? Test { get; init; }

    public long Interval { get; init; }

    public long Timeout { get; init; }

    public long StartPeriod { get; init; }

    public long StartInterval { get; init; }

    public int Retries { get; init; }

    /// <summary>A probe runs: Test says CMD or CMD-SHELL.</summary>
    [JsonIgnore]
    public bool Enabled => Test is { Count: > 1 } t && t[0] is "CMD" or "CMD-SHELL";

    /// <summary>What the probe execs: CMD's arguments, or CMD-SHELL's command under /bin/sh -c (moby's health.go).</summary>
    public IReadOnlyList<string> ProbeCommand() => Test switch
    {
        ["CMD-SHELL", var command, ..] => ["/bin/sh", "-c", command],
        ["CMD", ..] t => t.Skip(1).ToList(),
        _ => [],
    };

    public TimeSpan IntervalOrDefault => Interval > 0 ? TimeSpan.FromTicks(Interval / 100) : DefaultInterval;

    public TimeSpan TimeoutOrDefault => Timeout > 0 ? TimeSpan.FromTicks(Timeout / 100) : DefaultTimeout;

    public TimeSpan StartPeriodOrDefault => StartPeriod > 0 ? TimeSpan.FromTicks(StartPeriod / 100) : TimeSpan.Zero;

    public TimeSpan StartIntervalOrDefault => StartInterval > 0 ? TimeSpan.FromTicks(StartInterval / 100) : DefaultStartInterval;

    public int RetriesOrDefault => Retries > 0 ? Retries : DefaultRetries;

    /// <summary>The container's healthcheck, read from its Config; null when it has none.</summary>
    public static HealthcheckConfig? From(JsonElement? element)
    {
        if (element is not { ValueKind: JsonValueKind.Object } e)
        {
            return null;
        }
        try
        {
            return e.Deserialize(HealthJson.Default.HealthcheckConfig);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// moby's daemon merge: the request's healthcheck over the image's — no request healthcheck takes the
    /// image's; an empty Test takes the image's Test; each zero duration or retry count the image's.
    /// </summary>
    public static JsonElement? Merge(JsonElement? request, JsonElement? image)
    {
        var fromImage = From(image);
        if (fromImage is null)
        {
            return request;
        }
        var fromRequest = From(request);
        if (fromRequest is null)
        {
            return image;
        }
        var merged = fromRequest with
        {
            Test = fromRequest.Test is { Count: > 0 } ? fromRequest.Test : fromImage.Test,
            Interval = fromRequest.Interval != 0 ? fromRequest.Interval : fromImage.Interval,
            Timeout = fromRequest.Timeout != 0 ? fromRequest.Timeout : fromImage.Timeout,
            StartPeriod = fromRequest.StartPeriod != 0 ? fromRequest.StartPeriod : fromImage.StartPeriod,
            StartInterval = fromRequest.StartInterval != 0 ? fromRequest.StartInterval : fromImage.StartInterval,
            Retries = fromRequest.Retries != 0 ? fromRequest.Retries : fromImage.Retries,
        };
        return JsonSerializer.SerializeToElement(merged, HealthJson.Default.HealthcheckConfig);
    }

    /// <summary>docker's create-time checks (moby's daemon/container.go validateHealthCheck); the message, or null.</summary>
    public static string? Validate(JsonElement? element)
    {
        if (From(element) is not { } h)
        {
            return null;
        }
        const long millisecond = 1_000_000;
        if (h.Interval != 0 && h.Interval < millisecond)
        {
            return "Interval in Healthcheck cannot be less than 1ms";
        }
        if (h.Timeout != 0 && h.Timeout < millisecond)
        {
            return "Timeout in Healthcheck cannot be less than 1ms";
        }
        if (h.Retries < 0)
        {
            return "Retries in Healthcheck cannot be negative";
        }
        if (h.StartPeriod != 0 && h.StartPeriod < millisecond)
        {
            return "StartPeriod in Healthcheck cannot be less than 1ms";
        }
        if (h.StartInterval != 0 && h.StartInterval < millisecond)
        {
            return "StartInterval in Healthcheck cannot be less than 1ms";
        }
        return null;
    }
}

/// <summary>docker's health statuses (State.Health.Status).</summary>
public static class HealthStatus
{
    public const string Starting = "starting";
    public const string Healthy = "healthy";
    public const string Unhealthy = "unhealthy";
    public const string None = "none";
}

/// <summary>One probe's result (docker's container.HealthcheckResult).</summary>
public sealed record HealthcheckResult(DateTimeOffset Start, DateTimeOffset End, int ExitCode, string Output);

/// <summary>A container's State.Health: its status, the failures in a row, the last five results.</summary>
public sealed record ContainerHealth(string Status, int FailingStreak, IReadOnlyList<HealthcheckResult> Log);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HealthcheckConfig))]
[JsonSerializable(typeof(ContainerHealth))]
internal sealed partial class HealthJson : JsonSerializerContext;
