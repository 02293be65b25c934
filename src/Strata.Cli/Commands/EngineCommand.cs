using System.CommandLine;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary>
/// Runs a command body against the engine: the one <see cref="EngineLocator"/> finds, or one hosted
/// in-process for the command's duration. Failures print as the docker CLI prints them: the engine's
/// "Error response from daemon: …" (exit 125), "Cannot connect to …" (exit 1).
/// </summary>
internal static class EngineCommand
{
    public static async Task<int> RunAsync(ParseResult parse, string verb, Func<EngineClient, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            var explicitRoot = parse.GetResult(GlobalFlags.Root) is { Implicit: false } ? Path.GetFullPath(parse.GetValue(GlobalFlags.Root)!) : null;
            var target = await EngineLocator.LocateAsync(LocatorInput.FromEnvironment(parse.GetValue(GlobalFlags.Host), explicitRoot), HttpEngineProbe.Instance, cancellationToken).ConfigureAwait(false);
            InProcessEngine? local = null;
            if (target.Host is null)
            {
                local = await InProcessEngine.StartAsync(Path.GetFullPath(parse.GetValue(GlobalFlags.Root)!), runtime: null, cancellationToken).ConfigureAwait(false);
            }
            try
            {
                using var client = new EngineClient(target.Host ?? local!.Host);
                await client.NegotiateAsync(cancellationToken).ConfigureAwait(false);
                return await body(client, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (local is not null)
                {
                    await local.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        catch (DaemonException e)
        {
            await Console.Error.WriteLineAsync("Error response from daemon: " + e.Message).ConfigureAwait(false);
            return 125;
        }
        catch (EngineUnreachableException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return 1;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IOException or HttpRequestException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            await Console.Error.WriteLineAsync($"strata {verb}: {e.Message}").ConfigureAwait(false);
            return 125;
        }
    }
}
