using System.CommandLine;
using Strata.Images;
using Strata.Images.Distribution;

namespace Strata.Cli.Commands;

/// <summary>Flags every image and container command understands, added once to the root command.</summary>
internal static class GlobalFlags
{
    public static readonly Option<string> Root = new("--root")
    {
        Description = "Directory of the image and container store.",
        DefaultValueFactory = _ => "/var/lib/strata",
        Recursive = true,
    };

    public static readonly Option<bool> TlsVerify = new("--tls-verify")
    {
        Description = "Verify registry certificates; false also allows plain HTTP.",
        DefaultValueFactory = _ => true,
        Recursive = true,
    };

    public static readonly Option<string> AuthFile = new("--authfile")
    {
        Description = "Auth file to read and write credentials (default $REGISTRY_AUTH_FILE, ~/.config/strata/auth.json, ~/.docker/config.json).",
        Recursive = true,
    };

    /// <summary>
    /// The engine to talk to, as docker's -H: given before the verb (`strata -H unix:///run/x.sock ps`); not
    /// recursive, so `strata daemon --host` keeps its own meaning (where the daemon serves).
    /// </summary>
    public static readonly Option<string?> Host = new("--host", "-H")
    {
        Description = "Engine to connect to: unix:///PATH or tcp://HOST:PORT (default $STRATA_HOST, then $DOCKER_HOST if it is Strata, then /run/strata/strata.sock if a daemon answers, else the engine runs in this process).",
    };

    public static void AddTo(Command root)
    {
        foreach (var option in new Option[] { Root, TlsVerify, AuthFile, Host })
        {
            if (!root.Options.Contains(option))
            {
                root.Options.Add(option);
            }
        }
    }

    public static ImageService OpenStore(ParseResult parse) => new(new ImageServiceOptions
    {
        Root = Path.GetFullPath(parse.GetValue(Root)!),
        TlsVerify = parse.GetValue(TlsVerify),
        Credentials = CredentialStore.Default(parse.GetValue(AuthFile)),
    });

    /// <summary>Runs a command body, turning expected failures into "strata VERB: message" and exit code 125 (docker's).</summary>
    public static async Task<int> GuardAsync(string verb, Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ImageException or Strata.Engine.EngineException or IOException or FormatException or UnauthorizedAccessException or HttpRequestException or Strata.Linux.SyscallException or ArgumentException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
        {
            await Console.Error.WriteLineAsync($"strata {verb}: {e.Message}").ConfigureAwait(false);
            return 125;
        }
    }
}
