namespace Strata.Cli.Client;

/// <summary>Where a command's engine is, and why it was chosen (for messages and tests).</summary>
/// <param name="Host">The engine to talk to; null to host one in-process.</param>
/// <param name="Source">"--host", "STRATA_HOST", "DOCKER_HOST", "default socket" or "in-process".</param>
public sealed record EngineTarget(EngineHost? Host, string Source)
{
    public static readonly EngineTarget InProcess = new(null, "in-process");
}

/// <summary>What the locator may ask of an engine; the real one sends requests, tests answer as they like.</summary>
public interface IEngineProbe
{
    /// <summary>/_ping's answer, or null when nothing answers there.</summary>
    Task<PingResult?> PingAsync(EngineHost host, CancellationToken cancellationToken);

    /// <summary>The root the engine serves (/info's DockerRootDir).</summary>
    Task<string?> RootAsync(EngineHost host, CancellationToken cancellationToken);
}

/// <summary>The inputs of discovery: the flag, the environment, and the --root the user named (if any).</summary>
public sealed record LocatorInput
{
    public string? FlagHost { get; init; }
    public string? StrataHost { get; init; }
    public string? DockerHost { get; init; }
    /// <summary>The --root given on the command line; null when the default applies.</summary>
    public string? ExplicitRoot { get; init; }
    public string DefaultSocket { get; init; } = Engine.Api.EngineApiOptions.DefaultSocket;

    public static LocatorInput FromEnvironment(string? flagHost, string? explicitRoot) => new()
    {
        FlagHost = flagHost,
        StrataHost = Environment.GetEnvironmentVariable("STRATA_HOST"),
        DockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST"),
        ExplicitRoot = explicitRoot,
    };
}

/// <summary>
/// Finds the engine a command talks to: --host, else STRATA_HOST (both must answer: a named engine that is
/// down is an error, not a reason to run another), else DOCKER_HOST when a Strata engine answers there (the
/// docker CLI's variable may point at dockerd), else the default socket when an engine answers there, else
/// none: the command hosts the engine in-process, as podman does.
/// A --root given on the command line names a store: an engine found by DOCKER_HOST or the default socket is
/// used only when it serves that root, so `strata --root DIR` never acts on another store.
/// </summary>
public static class EngineLocator
{
    public static async Task<EngineTarget> LocateAsync(LocatorInput input, IEngineProbe probe, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(probe);
        if (!string.IsNullOrEmpty(input.FlagHost))
        {
            return new EngineTarget(EngineHost.Parse(input.FlagHost), "--host");
        }
        if (!string.IsNullOrEmpty(input.StrataHost))
        {
            return EngineHost.TryParse(input.StrataHost, out var host, out var error)
                ? new EngineTarget(host, "STRATA_HOST")
                : throw new FormatException("STRATA_HOST: " + error);
        }
        if (!string.IsNullOrEmpty(input.DockerHost) && EngineHost.TryParse(input.DockerHost, out var docker, out _)
            && await ServesAsync(docker, input.ExplicitRoot, strataOnly: true, probe, cancellationToken).ConfigureAwait(false))
        {
            return new EngineTarget(docker, "DOCKER_HOST");
        }
        var socket = EngineHost.Unix(input.DefaultSocket);
        if (File.Exists(socket.Socket) && await ServesAsync(socket, input.ExplicitRoot, strataOnly: false, probe, cancellationToken).ConfigureAwait(false))
        {
            return new EngineTarget(socket, "default socket");
        }
        return EngineTarget.InProcess;
    }

    private static async Task<bool> ServesAsync(EngineHost host, string? root, bool strataOnly, IEngineProbe probe, CancellationToken cancellationToken)
    {
        var ping = await probe.PingAsync(host, cancellationToken).ConfigureAwait(false);
        if (ping is null || (strataOnly && !ping.IsStrata))
        {
            return false;
        }
        return root is null || await probe.RootAsync(host, cancellationToken).ConfigureAwait(false) is { } served
            && string.Equals(Path.GetFullPath(served).TrimEnd('/'), Path.GetFullPath(root).TrimEnd('/'), StringComparison.Ordinal);
    }
}

/// <summary>The probe over real requests: a refused, missing or unreadable socket is "nothing answers".</summary>
public sealed class HttpEngineProbe : IEngineProbe
{
    public static readonly HttpEngineProbe Instance = new();

    public async Task<PingResult?> PingAsync(EngineHost host, CancellationToken cancellationToken)
    {
        using var client = new EngineClient(host);
        try
        {
            return await client.PingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is EngineUnreachableException or HttpRequestException or IOException or DaemonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public async Task<string?> RootAsync(EngineHost host, CancellationToken cancellationToken)
    {
        using var client = new EngineClient(host);
        try
        {
            await client.NegotiateAsync(cancellationToken).ConfigureAwait(false);
            var info = await client.GetAsync("/info", Engine.Api.Types.EngineApiJson.Default.SystemInfo, cancellationToken).ConfigureAwait(false);
            return info.DockerRootDir;
        }
        catch (Exception e) when (e is EngineUnreachableException or HttpRequestException or IOException or DaemonException or System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
