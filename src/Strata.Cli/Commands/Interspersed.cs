using System.CommandLine;

namespace Strata.Cli.Commands;

/// <summary>
/// docker's flag parsing for run, create and exec stops at the first argument (the image, or the container
/// for exec): everything after it is the container's command, even what looks like our flags
/// (`strata run busybox sh -c 'ls -l'`). System.CommandLine reads known options anywhere, so a "--" is put
/// right after that argument before parsing.
/// </summary>
internal static class Interspersed
{
    private static readonly HashSet<string> Verbs = new(StringComparer.Ordinal) { "run", "create", "exec" };

    public static string[] StopAtFirstArgument(RootCommand root, string[] args)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(args);
        var path = new List<Command> { root };
        var i = 0;
        while (i < args.Length && !Verbs.Contains(path[^1].Name))
        {
            var token = args[i];
            if (token == "--")
            {
                return args;
            }
            if (token.Length > 1 && token[0] == '-')
            {
                i += Width(path, args, i);
                continue;
            }
            var sub = path[^1].Subcommands.FirstOrDefault(c => c.Name == token || c.Aliases.Contains(token));
            if (sub is null)
            {
                return args;
            }
            path.Add(sub);
            i++;
        }
        if (!Verbs.Contains(path[^1].Name))
        {
            return args;
        }
        while (i < args.Length)
        {
            var token = args[i];
            if (token == "--")
            {
                return args;
            }
            if (token.Length > 1 && token[0] == '-')
            {
                i += Width(path, args, i);
                continue;
            }
            return i + 1 < args.Length && args[i + 1] != "--" ? [.. args[..(i + 1)], "--", .. args[(i + 1)..]] : args;
        }
        return args;
    }

    /// <summary>How many tokens an option takes: itself, and its value unless it is a flag or written as --x=value.</summary>
    private static int Width(List<Command> path, string[] args, int i)
    {
        var token = args[i];
        if (token.Contains('=', StringComparison.Ordinal))
        {
            return 1;
        }
        // The command's own options first, then the recursive ones of its parents (--root).
        var option = Enumerable.Reverse(path).SelectMany(c => c.Options).FirstOrDefault(o => o.Name == token || o.Aliases.Contains(token));
        if (option is null)
        {
            // Bundled flags (-it) or a value glued to its flag (-p8080:80).
            return 1;
        }
        if (option.ValueType == typeof(bool))
        {
            return i + 1 < args.Length && args[i + 1] is "true" or "false" ? 2 : 1;
        }
        return option.Arity.MaximumNumberOfValues == 0 ? 1 : 2;
    }
}
