namespace Strata.Engine.Api.Types;

/// <summary>inspect's State.Health (swagger Health): starting, healthy or unhealthy, with the last probes.</summary>
public sealed record HealthInspect(string Status, int FailingStreak, IReadOnlyList<HealthcheckResultInspect> Log);

/// <summary>One probe (swagger HealthcheckResult): RFC 3339 times with nanoseconds.</summary>
public sealed record HealthcheckResultInspect(string Start, string End, int ExitCode, string Output);
