using System.Globalization;
using System.Text.RegularExpressions;
using Strata.Build.Syntax;

namespace Strata.Build.Instructions;

/// <summary>A stage: FROM and the instructions up to the next FROM.</summary>
public sealed record BuildStage(int Index, FromInstruction From, IReadOnlyList<Instruction> Instructions)
{
    /// <summary>The AS name, lower-cased, or null.</summary>
    public string? Name => From.StageName;

    public int Line => From.Line;
}

/// <summary>A parsed Dockerfile: its syntax, the global ARGs before the first FROM, and its stages.</summary>
public sealed record Dockerfile(DockerfileSyntax Syntax, IReadOnlyList<ArgInstruction> GlobalArgs, IReadOnlyList<BuildStage> Stages)
{
    public string FileName => Syntax.FileName;

    public char EscapeToken => Syntax.EscapeToken;

    /// <summary>Parses a Dockerfile's text into stages; a bad one throws <see cref="DockerfileParseException"/>.</summary>
    public static Dockerfile Parse(string text, string fileName = "Dockerfile") =>
        InstructionParser.Parse(DockerfileParser.Parse(text, fileName));
}

/// <summary>
/// Checks each instruction's flags and arguments with BuildKit's rules and messages (instructions/parse.go)
/// and groups them into stages.
/// </summary>
public static partial class InstructionParser
{
    private static readonly string[] InstructionNames =
    [
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER",
        "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    ];

    public static Dockerfile Parse(DockerfileSyntax syntax)
    {
        ArgumentNullException.ThrowIfNull(syntax);
        var globalArgs = new List<ArgInstruction>();
        var stages = new List<(FromInstruction From, List<Instruction> Instructions)>();
        foreach (var node in syntax.Nodes)
        {
            Instruction instruction;
            try
            {
                instruction = ParseInstruction(node);
                if (stages.Count == 0 && instruction is not (ArgInstruction or FromInstruction))
                {
                    throw new InstructionException("no build stage in current context");
                }
            }
            catch (InstructionException e)
            {
                throw new DockerfileParseException(syntax.FileName, node.StartLine, node.EndLine, e.Message);
            }
            switch (instruction)
            {
                case FromInstruction from:
                    stages.Add((from, []));
                    break;
                case ArgInstruction arg when stages.Count == 0:
                    globalArgs.Add(arg);
                    break;
                default:
                    stages[^1].Instructions.Add(instruction);
                    break;
            }
        }
        return new Dockerfile(syntax, globalArgs, [.. stages.Select((s, i) => new BuildStage(i, s.From, s.Instructions))]);
    }

    /// <summary>Checks one instruction (also the instruction an ONBUILD trigger holds, when it runs).</summary>
    public static Instruction ParseInstruction(SyntaxNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var flags = new BuilderFlags(node.Flags);
        var args = node.Arguments;
        switch (node.Command)
        {
            case "env":
                flags.Parse();
                return new EnvInstruction(node, KeyValues(node, "ENV"));
            case "label":
                flags.Parse();
                return new LabelInstruction(node, KeyValues(node, "LABEL"));
            case "maintainer":
                ExactlyOne(args, "MAINTAINER");
                flags.Parse();
                return new MaintainerInstruction(node, args[0]);
            case "add":
                return ParseAdd(node, flags);
            case "copy":
                return ParseCopy(node, flags);
            case "from":
                return ParseFrom(node, flags);
            case "onbuild":
                return ParseOnbuild(node, flags);
            case "workdir":
                ExactlyOne(args, "WORKDIR");
                flags.Parse();
                return new WorkdirInstruction(node, args[0]);
            case "run":
                return ParseRun(node, flags);
            case "cmd":
                flags.Parse();
                return new CmdInstruction(node, CommandLineOf(node, emptyAsNull: false));
            case "entrypoint":
                flags.Parse();
                return new EntrypointInstruction(node, CommandLineOf(node, emptyAsNull: true));
            case "healthcheck":
                return ParseHealthcheck(node, flags);
            case "expose":
                if (args.Count == 0)
                {
                    throw AtLeastOne("EXPOSE");
                }
                flags.Parse();
                return new ExposeInstruction(node, [.. args.Order(StringComparer.Ordinal)]);
            case "user":
                ExactlyOne(args, "USER");
                flags.Parse();
                return new UserInstruction(node, args[0]);
            case "volume":
                return ParseVolume(node, flags);
            case "stopsignal":
                // BuildKit checks no flags on STOPSIGNAL.
                ExactlyOne(args, "STOPSIGNAL");
                return new StopSignalInstruction(node, args[0]);
            case "arg":
                return ParseArg(node, flags);
            case "shell":
                return ParseShell(node, flags);
            default:
                throw new InstructionException($"unknown instruction: {node.Keyword}{Suggest.For(node.Keyword, InstructionNames, caseSensitive: false)}");
        }
    }

    private static InstructionException AtLeastOne(string command) => new($"{command} requires at least one argument");

    private static void ExactlyOne(IReadOnlyList<string> args, string command)
    {
        if (args.Count != 1)
        {
            throw new InstructionException($"{command} requires exactly one argument");
        }
    }

    private static List<KeyValue> KeyValues(SyntaxNode node, string command)
    {
        var args = node.Arguments;
        if (args.Count == 0)
        {
            throw AtLeastOne(command);
        }
        var pairs = new List<KeyValue>();
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            if (args[i].Length == 0)
            {
                throw new InstructionException($"{command} names can not be blank");
            }
            pairs.Add(new KeyValue(args[i], args[i + 1]));
        }
        return pairs;
    }

    private static (List<string> Sources, List<SourceContent> Contents, string Destination) SourcesAndDestination(SyntaxNode node, string command)
    {
        var args = node.Arguments;
        if (args.Count < 2)
        {
            throw new InstructionException($"{command} requires at least two arguments, but only one was provided. Destination could not be determined");
        }
        var destination = args[^1];
        if (!node.IsJson && DockerfileParser.ParseHeredoc(destination) is not null)
        {
            throw new InstructionException($"{command} cannot accept a heredoc as a destination");
        }
        var heredocs = node.Heredocs.ToDictionary(h => h.Name, StringComparer.Ordinal);
        var sources = new List<string>();
        var contents = new List<SourceContent>();
        foreach (var src in args.Take(args.Count - 1))
        {
            if (!node.IsJson && DockerfileParser.ParseHeredoc(src) is { } h && heredocs.TryGetValue(h.Name, out var doc))
            {
                contents.Add(new SourceContent(h.Name, h.Chomp ? Heredoc.StripLeadingTabs(doc.Content) : doc.Content, h.Expand));
            }
            else
            {
                sources.Add(src);
            }
        }
        return (sources, contents, destination);
    }

    private static CopyInstruction ParseCopy(SyntaxNode node, BuilderFlags flags)
    {
        if (node.Arguments.Count < 2)
        {
            SourcesAndDestination(node, "COPY");
        }
        flags.String("chown").String("from").String("chmod").Bool("link").Bool("parents").Strings("exclude").Parse();
        var (sources, contents, destination) = SourcesAndDestination(node, "COPY");
        return new CopyInstruction(node, sources, contents, destination, flags.GetString("from"), flags.GetString("chown"),
            flags.GetString("chmod"), flags.GetBool("link"), flags.GetBool("parents"), flags.GetStrings("exclude"));
    }

    private static AddInstruction ParseAdd(SyntaxNode node, BuilderFlags flags)
    {
        if (node.Arguments.Count < 2)
        {
            SourcesAndDestination(node, "ADD");
        }
        flags.String("chown").String("chmod").Bool("link").Bool("keep-git-dir").String("checksum").Bool("unpack").Strings("exclude").Parse();
        var (sources, contents, destination) = SourcesAndDestination(node, "ADD");
        bool? unpack = flags.IsUsed("unpack") ? flags.GetBool("unpack") : null;
        return new AddInstruction(node, sources, contents, destination, flags.GetString("chown"), flags.GetString("chmod"),
            flags.GetBool("link"), flags.GetBool("keep-git-dir"), flags.GetString("checksum"), unpack, flags.GetStrings("exclude"));
    }

    [GeneratedRegex("^[a-z][a-z0-9-_.]*$", RegexOptions.CultureInvariant)]
    private static partial Regex StageNamePattern();

    private static FromInstruction ParseFrom(SyntaxNode node, BuilderFlags flags)
    {
        var args = node.Arguments;
        string? stageName = null;
        if (args.Count == 3 && args[1].Equals("as", StringComparison.OrdinalIgnoreCase))
        {
            stageName = args[2].ToLowerInvariant();
            if (!StageNamePattern().IsMatch(stageName))
            {
                throw new InstructionException($"invalid name for build stage: {SyntaxNode.GoQuote(args[2])}, name can't start with a number or contain symbols");
            }
        }
        else if (args.Count != 1)
        {
            throw new InstructionException("FROM requires either one or three arguments");
        }
        flags.String("platform").Parse();
        return new FromInstruction(node, args[0], stageName, flags.GetString("platform"));
    }

    [GeneratedRegex(@"^\s*ONBUILD\s*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OnbuildPrefix();

    private static OnbuildInstruction ParseOnbuild(SyntaxNode node, BuilderFlags flags)
    {
        if (node.Inner is null)
        {
            throw AtLeastOne("ONBUILD");
        }
        flags.Parse();
        var trigger = node.Inner.Keyword.ToUpperInvariant();
        switch (trigger)
        {
            case "ONBUILD":
                throw new InstructionException("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
            case "MAINTAINER" or "FROM":
                throw new InstructionException($"{trigger} isn't allowed as an ONBUILD trigger");
        }
        var expression = OnbuildPrefix().Replace(node.Original, "");
        foreach (var heredoc in node.Heredocs)
        {
            expression += "\n" + heredoc.Content + heredoc.Name;
        }
        return new OnbuildInstruction(node, expression);
    }

    private static CommandLine CommandLineOf(SyntaxNode node, bool emptyAsNull)
    {
        // Shell form: the rest of the line is one argument the SHELL runs; exec form: the array as given.
        IReadOnlyList<string> args = node.Arguments;
        return new CommandLine(emptyAsNull && args.Count == 0 ? [] : args, !node.IsJson);
    }

    private static readonly string[] NetworkModes = ["default", "none", "host"];
    private static readonly string[] SecurityModes = ["sandbox", "insecure"];

    private static RunInstruction ParseRun(SyntaxNode node, BuilderFlags flags)
    {
        flags.Strings("mount").String("network").String("security").Parse();
        var mounts = flags.GetStrings("mount").Select(RunMount.Parse).ToList();
        var network = flags.GetString("network");
        if (network is not null && !NetworkModes.Contains(network))
        {
            throw new InstructionException($"unsupported network mode \"{network}\"");
        }
        var security = flags.GetString("security");
        if (security is not null && !SecurityModes.Contains(security))
        {
            throw new InstructionException($"unsupported security mode \"{security}\"");
        }
        var files = node.Heredocs.Select(h => new InlineFile(h.Name, h.Content, h.Chomp, h.FileDescriptor)).ToList();
        return new RunInstruction(node, CommandLineOf(node, emptyAsNull: false), files, mounts, network, security);
    }

    private static HealthcheckInstruction ParseHealthcheck(SyntaxNode node, BuilderFlags flags)
    {
        var args = node.Arguments;
        if (args.Count == 0)
        {
            throw AtLeastOne("HEALTHCHECK");
        }
        var type = args[0].ToUpperInvariant();
        var rest = args.Skip(1).ToList();
        if (type == "NONE")
        {
            if (rest.Count != 0)
            {
                throw new InstructionException("HEALTHCHECK NONE takes no arguments");
            }
            return new HealthcheckInstruction(node, ["NONE"], TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, 0);
        }
        flags.String("interval").String("timeout").String("start-period").String("start-interval").String("retries").Parse();
        if (type != "CMD")
        {
            throw new InstructionException($"Unknown type {SyntaxNode.GoQuote(type)} in HEALTHCHECK (try CMD)");
        }
        if (rest.Count == 0)
        {
            throw new InstructionException("Missing command after HEALTHCHECK CMD");
        }
        List<string> test = node.IsJson ? ["CMD", .. rest] : ["CMD-SHELL", .. rest];
        var retries = 0;
        if (flags.GetString("retries") is { Length: > 0 } r)
        {
            if (!long.TryParse(r, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n is > int.MaxValue or < int.MinValue)
            {
                throw new InstructionException($"strconv.ParseInt: parsing {SyntaxNode.GoQuote(r)}: invalid syntax");
            }
            if (n < 0)
            {
                throw new InstructionException($"--retries cannot be negative ({n})");
            }
            retries = (int)n;
        }
        return new HealthcheckInstruction(node, test, Interval(flags, "interval"), Interval(flags, "timeout"),
            Interval(flags, "start-period"), Interval(flags, "start-interval"), retries);
    }

    private static TimeSpan Interval(BuilderFlags flags, string name)
    {
        var value = flags.GetString(name);
        if (string.IsNullOrEmpty(value))
        {
            return TimeSpan.Zero;
        }
        var d = GoDuration.Parse(value);
        if (d == TimeSpan.Zero)
        {
            return d;
        }
        if (d < TimeSpan.FromMilliseconds(1))
        {
            throw new InstructionException($"Interval {SyntaxNode.GoQuote(name)} cannot be less than 1ms");
        }
        return d;
    }

    private static VolumeInstruction ParseVolume(SyntaxNode node, BuilderFlags flags)
    {
        if (node.Arguments.Count == 0)
        {
            throw AtLeastOne("VOLUME");
        }
        flags.Parse();
        var volumes = new List<string>();
        foreach (var v in node.Arguments)
        {
            var trimmed = v.Trim();
            if (trimmed.Length == 0)
            {
                throw new InstructionException("VOLUME specified can not be an empty string");
            }
            volumes.Add(trimmed);
        }
        return new VolumeInstruction(node, volumes);
    }

    private static ArgInstruction ParseArg(SyntaxNode node, BuilderFlags flags)
    {
        if (node.Arguments.Count < 1)
        {
            throw AtLeastOne("ARG");
        }
        flags.Parse();
        var pairs = new List<KeyValue>();
        foreach (var arg in node.Arguments)
        {
            // Unlike ENV, ARG may declare a name without a value.
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq == 0)
            {
                throw new InstructionException("ARG names can not be blank");
            }
            pairs.Add(eq < 0 ? new KeyValue(arg, null) : new KeyValue(arg[..eq], arg[(eq + 1)..]));
        }
        return new ArgInstruction(node, pairs);
    }

    private static ShellInstruction ParseShell(SyntaxNode node, BuilderFlags flags)
    {
        flags.Parse();
        if (node.Arguments.Count == 0)
        {
            throw AtLeastOne("SHELL");
        }
        if (!node.IsJson)
        {
            throw new InstructionException($"SHELL requires the arguments to be in JSON form");
        }
        return new ShellInstruction(node, node.Arguments);
    }
}

/// <summary>Go's time.ParseDuration, which HEALTHCHECK's durations are written in ("30s", "1m30s", "1.5h").</summary>
internal static class GoDuration
{
    public static TimeSpan Parse(string s)
    {
        var original = s;
        var negative = false;
        if (s.Length > 0 && s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s == "0")
        {
            return TimeSpan.Zero;
        }
        if (s.Length == 0)
        {
            throw Invalid(original);
        }
        decimal totalNs = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }
            if (start == i || !decimal.TryParse(s[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                throw Invalid(original);
            }
            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }
            decimal unit = s[unitStart..i] switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                "" => throw new InstructionException($"time: missing unit in duration {SyntaxNode.GoQuote(original)}"),
                var u => throw new InstructionException($"time: unknown unit {SyntaxNode.GoQuote(u)} in duration {SyntaxNode.GoQuote(original)}"),
            };
            totalNs += number * unit;
        }
        var ticks = (long)(totalNs / 100m);
        return TimeSpan.FromTicks(negative ? -ticks : ticks);
    }

    private static InstructionException Invalid(string s) => new($"time: invalid duration {SyntaxNode.GoQuote(s)}");
}
