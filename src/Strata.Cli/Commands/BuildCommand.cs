using System.CommandLine;
using System.Globalization;
using Strata.Build.Context;
using Strata.Build.Execution;
using Strata.Build.Stages;
using Strata.Build.Syntax;

namespace Strata.Cli.Commands;

/// <summary>
/// `strata build [OPTIONS] PATH` and `strata image build`: docker build's flags over Strata.Build and the local
/// store (no daemon route yet). Failures print where, as docker does ("Dockerfile:3"), and exit 1.
/// </summary>
public static class BuildCommand
{
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        GlobalFlags.AddTo(root);
        root.Subcommands.Add(Create());
        var image = root.Subcommands.FirstOrDefault(c => c.Name == "image");
        image?.Subcommands.Add(Create());
    }

    private static Command Create()
    {
        var context = new Argument<string>("PATH") { Description = "The build context: a directory." };
        var tags = new Option<string[]>("--tag", "-t") { Description = "Name and optionally a tag (name:tag); may be repeated.", AllowMultipleArgumentsPerToken = false };
        var file = new Option<string?>("--file", "-f") { Description = "Name of the Dockerfile (default PATH/Containerfile, then PATH/Dockerfile)." };
        var buildArgs = new Option<string[]>("--build-arg") { Description = "Set a build-time variable (KEY=VALUE, or KEY to pass this process's value).", AllowMultipleArgumentsPerToken = false };
        var target = new Option<string?>("--target") { Description = "The stage to build." };
        var labels = new Option<string[]>("--label") { Description = "Set metadata on the image (KEY=VALUE).", AllowMultipleArgumentsPerToken = false };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the image ID." };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not use a cache (there is none yet: accepted for docker's scripts)." };
        var command = new Command("build", "Build an image from a Dockerfile or Containerfile.") { context, tags, file, buildArgs, target, labels, quiet, noCache };
        command.SetAction(async (parse, ct) =>
        {
            var args = ParseBuildArgs(parse.GetValue(buildArgs) ?? []);
            var request = new BuildRequest
            {
                ContextDirectory = parse.GetValue(context)!,
                DockerfilePath = parse.GetValue(file),
                Tags = parse.GetValue(tags) ?? [],
                Labels = ParsePairs(parse.GetValue(labels) ?? [], "--label"),
                Options = new BuildOptions { BuildArgs = args, Target = parse.GetValue(target) },
                SourceDateEpoch = SourceDateEpoch(args),
            };
            var isQuiet = parse.GetValue(quiet);
            try
            {
                using var store = GlobalFlags.OpenStore(parse);
                var result = await new ImageBuilder(store, isQuiet ? null : Console.Out).BuildAsync(request, ct).ConfigureAwait(false);
                if (isQuiet)
                {
                    await Console.Out.WriteLineAsync(result.ImageId.ToString()).ConfigureAwait(false);
                }
                else if (result.UnusedBuildArgs.Count > 0)
                {
                    await Console.Error.WriteLineAsync($"[Warning] One or more build-args [{string.Join(' ', result.UnusedBuildArgs)}] were not consumed").ConfigureAwait(false);
                }
                return 0;
            }
            catch (DockerfileException e)
            {
                await Console.Error.WriteLineAsync($"{e.Location}\nERROR: {e.Message}").ConfigureAwait(false);
                return 1;
            }
            catch (Exception e) when (e is BuildContextException or IgnorePatternException or Images.ImageException or IOException or UnauthorizedAccessException or FormatException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"ERROR: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }

    // --build-arg KEY=VALUE, or KEY alone for this process's value (left out when it has none), as docker reads it.
    private static Dictionary<string, string> ParseBuildArgs(string[] values)
    {
        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var v in values)
        {
            var eq = v.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                args[v[..eq]] = v[(eq + 1)..];
            }
            else if (eq < 0 && Environment.GetEnvironmentVariable(v) is { } env)
            {
                args[v] = env;
            }
            else if (eq == 0)
            {
                throw new ArgumentException($"invalid argument \"{v}\" for \"--build-arg\" flag: the name is empty");
            }
        }
        return args;
    }

    private static Dictionary<string, string> ParsePairs(string[] values, string flag)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var v in values)
        {
            var eq = v.IndexOf('=', StringComparison.Ordinal);
            if (eq == 0)
            {
                throw new ArgumentException($"invalid argument \"{v}\" for \"{flag}\" flag: the key is empty");
            }
            pairs[eq < 0 ? v : v[..eq]] = eq < 0 ? "" : v[(eq + 1)..];
        }
        return pairs;
    }

    // SOURCE_DATE_EPOCH as BuildKit takes it: a build arg of that name, else the environment variable.
    private static DateTimeOffset? SourceDateEpoch(Dictionary<string, string> args)
    {
        var value = args.GetValueOrDefault("SOURCE_DATE_EPOCH") ?? Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : throw new ArgumentException($"invalid SOURCE_DATE_EPOCH: {value}: expected seconds since 1970");
    }
}
