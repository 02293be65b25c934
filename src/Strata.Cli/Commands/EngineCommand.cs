using System.CommandLine;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary>
/// Runs a command body against the engine: the one <see cref="EngineLocator"/> finds, or one hosted
/// in-process for the command's duration. Failures print as the docker CLI prints them: the engine's
/// "Error response from daemon: …" (exit 1, or 125 for run and create), "Cannot connect to …" (exit 1).
/// </summary>
internal static class EngineCommand
{
    public static async Task<int> RunAsync(ParseResult parse, string verb, Func<EngineClient, CancellationToken, Task<int>> body, CancellationToken cancellationToken, int daemonErrorExit = 1)
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
        catch (CommandExitException e)
        {
            return e.Code;
        }
        catch (DaemonException e)
        {
            await Console.Error.WriteLineAsync("Error response from daemon: " + e.Message).ConfigureAwait(false);
            return daemonErrorExit;
        }
        catch (EngineUnreachableException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return 1;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IOException or HttpRequestException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            await Console.Error.WriteLineAsync($"strata {verb}: {e.Message}").ConfigureAwait(false);
            return daemonErrorExit;
        }
    }
}

/// <summary>Ends a command with <see cref="Code"/>, its message already printed (docker run's 126 and 127).</summary>
internal sealed class CommandExitException : Exception
{
    public CommandExitException(int code)
        : base($"exit {code}")
    {
        Code = code;
    }

    public CommandExitException()
    {
    }

    public CommandExitException(string message)
        : base(message)
    {
    }

    public CommandExitException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public int Code { get; }
}
