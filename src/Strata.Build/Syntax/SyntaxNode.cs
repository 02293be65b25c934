using System.Globalization;
using System.Text;

namespace Strata.Build.Syntax;

/// <summary>
/// One instruction as the Dockerfile's grammar splits it, before its meaning is checked: the keyword as written,
/// the --flags, the arguments as that instruction's line parser splits them (JSON array, whitespace-delimited
/// words, key/value pairs or the rest of the line), the heredocs it reads and the lines it spans (1-based).
/// </summary>
public sealed class SyntaxNode
{
    /// <summary>The keyword as written (its case kept, for error messages).</summary>
    public required string Keyword { get; init; }

    /// <summary>The keyword in lower case, the form instructions are dispatched on.</summary>
    public string Command => Keyword.ToLowerInvariant();

    /// <summary>The --flags before the arguments, quotes removed ("--mount=type=cache,target=/x").</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];

    /// <summary>
    /// The arguments. ENV and LABEL hold key, value pairs; HEALTHCHECK its type then the command; the others
    /// the JSON array's strings, the whitespace-delimited words or the rest of the line, by instruction.
    /// </summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>The arguments were a JSON array (exec form).</summary>
    public bool IsJson { get; init; }

    /// <summary>ENV or LABEL in the legacy form "KEY value" (no '='), the value being the rest of the line.</summary>
    public bool IsLegacyKeyValue { get; init; }

    /// <summary>The instruction ONBUILD wraps.</summary>
    public SyntaxNode? Inner { get; init; }

    /// <summary>The logical line, continuations joined, comments inside them removed.</summary>
    public required string Original { get; init; }

    public int StartLine { get; internal set; }

    public int EndLine { get; internal set; }

    public List<Heredoc> Heredocs { get; } = [];

    /// <summary>The comment lines directly above the instruction.</summary>
    public IReadOnlyList<string> Comments { get; init; } = [];

    /// <summary>
    /// BuildKit's s-expression dump of a node (parser.Node.Dump), so parser tests can compare with the expected
    /// results BuildKit's own tests keep: (keyword ["flags"] "arg" "arg").
    /// </summary>
    public string Dump()
    {
        var s = new StringBuilder(Command);
        if (Flags.Count > 0)
        {
            s.Append(" [").AppendJoin(' ', Flags.Select(GoQuote)).Append(']');
        }
        if (Inner is not null)
        {
            s.Append(" (").Append(Inner.Dump()).Append(')');
        }
        foreach (var a in Arguments)
        {
            s.Append(' ').Append(GoQuote(a));
        }
        return s.ToString().Trim();
    }

    // Go's strconv.Quote: printable characters kept, the usual escapes, others as \x.. or \u....
    internal static string GoQuote(string value)
    {
        var s = new StringBuilder("\"");
        foreach (var ch in value)
        {
            switch (ch)
            {
                case '"': s.Append("\\\""); break;
                case '\\': s.Append("\\\\"); break;
                case '\a': s.Append("\\a"); break;
                case '\b': s.Append("\\b"); break;
                case '\f': s.Append("\\f"); break;
                case '\n': s.Append("\\n"); break;
                case '\r': s.Append("\\r"); break;
                case '\t': s.Append("\\t"); break;
                case '\v': s.Append("\\v"); break;
                default:
                    if (ch < 0x20 || ch == 0x7f)
                    {
                        s.Append("\\x").Append(((int)ch).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        s.Append(ch);
                    }
                    break;
            }
        }
        return s.Append('"').ToString();
    }
}

/// <summary>
/// A here-document (Dockerfile reference, "Here-Documents"): &lt;&lt;NAME reads the lines up to NAME;
/// &lt;&lt;-NAME also strips leading tabs (from the content when it is used, and before comparing with the
/// delimiter); a quoted delimiter ('NAME' or "NAME") turns off expansion of the content.
/// </summary>
public sealed record Heredoc(string Name, int FileDescriptor, bool Expand, bool Chomp, string Content)
{
    /// <summary>The content as the instruction uses it: leading tabs removed from each line for &lt;&lt;-.</summary>
    public string EffectiveContent => Chomp ? StripLeadingTabs(Content) : Content;

    internal static string StripLeadingTabs(string content)
    {
        var s = new StringBuilder(content.Length);
        var lineStart = true;
        foreach (var ch in content)
        {
            if (lineStart && ch == '\t')
            {
                continue;
            }
            lineStart = ch == '\n';
            s.Append(ch);
        }
        return s.ToString();
    }
}

/// <summary>A parser directive found at the top of the file (# syntax=, # escape=, # check=).</summary>
public sealed record ParserDirective(string Name, string Value, int Line);

/// <summary>A warning the parser reports without failing (BuildKit's: empty continuation lines).</summary>
public sealed record ParseWarning(string Message, int Line);
