using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Strata.Build.Syntax;

/// <summary>The syntax of a whole Dockerfile: its parser directives, escape token, instructions and warnings.</summary>
public sealed record DockerfileSyntax(
    string FileName,
    IReadOnlyList<ParserDirective> Directives,
    char EscapeToken,
    IReadOnlyList<SyntaxNode> Nodes,
    IReadOnlyList<ParseWarning> Warnings)
{
    public string? Directive(string name) => Directives.FirstOrDefault(d => d.Name == name)?.Value;
}

/// <summary>
/// Splits a Dockerfile into instructions by the rules of Docker's Dockerfile reference, as BuildKit's parser
/// (frontend/dockerfile/parser) applies them:
/// <list type="bullet">
/// <item>parser directives (# syntax=, # escape=, # check=) only before the first instruction, comment or empty
/// line, each at most once; # escape= takes \ or ` and sets the escape and line-continuation token;</item>
/// <item>a line whose first non-blank character is # is a comment, also inside a continued instruction;</item>
/// <item>the escape token as the last non-blank character continues the line (unless itself escaped); the
/// continuation keeps its leading whitespace; empty continuation lines are skipped with a warning;</item>
/// <item>RUN, COPY and ADD (and ONBUILD of them), in shell form, read the here-documents their line names;</item>
/// <item>instruction keywords are case-insensitive; --flags come before the arguments.</item>
/// </list>
/// The meaning of each instruction is checked later (<see cref="Instructions.InstructionParser"/>).
/// </summary>
public static class DockerfileParser
{
    private static readonly string[] HeredocInstructions = ["add", "copy", "run"];

    public static DockerfileSyntax Parse(string text, string fileName = "Dockerfile")
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = SplitLines(text);
        var directives = new DirectiveReader();
        var nodes = new List<SyntaxNode>();
        var warnings = new List<ParseWarning>();
        var comments = new List<string>();
        var current = 0;
        var i = 0;

        while (i < lines.Count)
        {
            var raw = lines[i++];
            if (current == 0 && raw.StartsWith('\uFEFF'))
            {
                raw = raw[1..];
            }
            if (IsComment(raw))
            {
                var comment = TrimNewline(raw).TrimStart()[1..].Trim();
                if (comment.Length == 0)
                {
                    comments.Clear();
                }
                else
                {
                    comments.Add(comment);
                }
            }
            var line = TrimNewline(raw).TrimStart();
            bool isDirective;
            try
            {
                isDirective = directives.Read(line, current + 1);
            }
            catch (InstructionException e)
            {
                throw new DockerfileParseException(fileName, current + 1, current + 1, e.Message);
            }
            if (isDirective)
            {
                comments.RemoveAt(comments.Count - 1);
            }
            if (IsComment(line))
            {
                line = "";
            }
            current++;
            var startLine = current;
            var endOfLine = !TrimContinuation(ref line, directives.EscapeToken);
            if (endOfLine && line.Length == 0)
            {
                continue;
            }
            var logical = new StringBuilder(line);
            var emptyContinuation = false;
            while (!endOfLine && i < lines.Count)
            {
                var next = lines[i++];
                var processed = TrimNewline(next);
                directives.Read(processed, current + 1);
                current++;
                if (IsComment(next))
                {
                    continue;
                }
                if (processed.TrimStart().Length == 0)
                {
                    emptyContinuation = true;
                    continue;
                }
                endOfLine = !TrimContinuation(ref processed, directives.EscapeToken);
                logical.Append(processed);
            }
            var joined = logical.ToString();
            if (emptyContinuation)
            {
                warnings.Add(new ParseWarning("Empty continuation line found in: " + joined, current));
            }

            SyntaxNode node;
            try
            {
                node = ParseLine(joined, directives.EscapeToken, [.. comments]);
            }
            catch (InstructionException e)
            {
                throw new DockerfileParseException(fileName, startLine, current, e.Message);
            }

            if (CanContainHeredoc(node) && joined.Contains("<<", StringComparison.Ordinal))
            {
                IReadOnlyList<Heredoc> heredocs;
                try
                {
                    heredocs = HeredocsFromLine(joined);
                }
                catch (ShellLexerException e)
                {
                    throw new DockerfileParseException(fileName, startLine, current, e.Message);
                }
                foreach (var heredoc in heredocs)
                {
                    var content = new StringBuilder();
                    var terminated = false;
                    while (i < lines.Count)
                    {
                        var body = lines[i++];
                        current++;
                        var candidate = TrimNewline(body);
                        if (heredoc.Chomp)
                        {
                            candidate = candidate.TrimStart('\t');
                        }
                        if (candidate == heredoc.Name)
                        {
                            terminated = true;
                            break;
                        }
                        content.Append(body);
                    }
                    if (!terminated)
                    {
                        throw new DockerfileParseException(fileName, startLine, current, "unterminated heredoc");
                    }
                    node.Heredocs.Add(heredoc with { Content = content.ToString() });
                }
            }
            node.StartLine = startLine;
            node.EndLine = current;
            nodes.Add(node);
            comments.Clear();
        }

        if (nodes.Count == 0)
        {
            throw new DockerfileParseException(fileName, current, current, "file with no instructions");
        }
        return new DockerfileSyntax(fileName, directives.Found, directives.EscapeToken, nodes, warnings);
    }

    // Lines with their endings kept: heredoc content keeps them byte for byte.
    private static List<string> SplitLines(string text)
    {
        var lines = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var nl = text.IndexOf('\n', start);
            if (nl < 0)
            {
                lines.Add(text[start..]);
                break;
            }
            lines.Add(text[start..(nl + 1)]);
            start = nl + 1;
        }
        return lines;
    }

    private static string TrimNewline(string line) => line.TrimEnd('\r', '\n');

    private static bool IsComment(string line)
    {
        var t = line.TrimStart();
        return t.Length > 0 && t[0] == '#';
    }

    // The escape token, then only spaces and tabs, at the end of a line continues it; an escape token before
    // it escapes it instead (BuildKit's regular expression ([^\\])\\[ \t]*$|^\\[ \t]*$).
    private static bool TrimContinuation(ref string line, char escape)
    {
        var end = line.Length;
        while (end > 0 && line[end - 1] is ' ' or '\t')
        {
            end--;
        }
        if (end == 0 || line[end - 1] != escape)
        {
            return false;
        }
        if (end >= 2 && line[end - 2] == escape)
        {
            return false;
        }
        line = line[..(end - 1)];
        return true;
    }

    private static bool CanContainHeredoc(SyntaxNode node)
    {
        var n = node.Command == "onbuild" && node.Inner is not null ? node.Inner : node;
        return HeredocInstructions.Contains(n.Command) && !n.IsJson;
    }

    private static readonly Regex HeredocWord = new(@"^(\d*)<<(-?)([^<]*)$", RegexOptions.CultureInvariant);

    internal static IReadOnlyList<Heredoc> HeredocsFromLine(string line)
    {
        var lexer = new ShellLexer('\\') { RawQuotes = true, RawEscapes = true, SkipUnsetVariables = true };
        IReadOnlyList<string> words;
        try
        {
            words = lexer.ProcessWords(line, DictionaryLookup.Empty);
        }
        catch (ShellLexerException)
        {
            // BuildKit ignores a line it cannot split here; the instruction's own parsing reports it.
            return [];
        }
        var docs = new List<Heredoc>();
        foreach (var word in words)
        {
            if (ParseHeredoc(word) is { } doc)
            {
                docs.Add(doc);
            }
        }
        return docs;
    }

    /// <summary>Reads a heredoc word ("&lt;&lt;EOF", "&lt;&lt;-'EOF'", "3&lt;&lt;EOF"), or null when it is none.</summary>
    public static Heredoc? ParseHeredoc(string word)
    {
        var m = HeredocWord.Match(word);
        if (!m.Success || m.Groups[3].Value.Length == 0)
        {
            return null;
        }
        _ = int.TryParse(m.Groups[1].Value, out var fd);
        var rest = m.Groups[3].Value;
        // Lexed with and without quotes: a quote that only the raw form keeps means part of the delimiter was
        // quoted, which turns expansion of the content off (as in sh(1)).
        var plain = new ShellLexer('\\') { SkipUnsetVariables = true }.ProcessWords(rest, DictionaryLookup.Empty);
        if (plain.Count != 1)
        {
            return null;
        }
        var raw = new ShellLexer('\\') { SkipUnsetVariables = true, RawQuotes = true }.ProcessWords(rest, DictionaryLookup.Empty);
        if (raw.Count != plain.Count)
        {
            throw new ShellLexerException($"internal lexing of heredoc produced inconsistent results: {rest}");
        }
        var expand = CountQuotes(plain[0]) == CountQuotes(raw[0]);
        return new Heredoc(plain[0], fd, expand, m.Groups[2].Value == "-", "");
    }

    private static int CountQuotes(string s) => s.Count(c => c is '\'' or '"');

    internal static SyntaxNode ParseLine(string line, char escape, IReadOnlyList<string> comments)
    {
        var (keyword, flags, rest) = SplitCommand(line);
        var node = keyword.ToLowerInvariant() switch
        {
            "add" or "copy" or "volume" => MaybeJsonToList(rest),
            "arg" => new Parsed(ParseWords(rest, escape)),
            "cmd" or "entrypoint" or "run" or "shell" => MaybeJson(rest),
            "env" or "label" => NameValues(rest, keyword.ToUpperInvariant(), escape),
            "expose" or "from" => new Parsed(WhitespaceDelimited(rest)),
            "healthcheck" => HealthConfig(rest),
            "maintainer" or "stopsignal" or "user" or "workdir" => new Parsed(rest.Length == 0 ? [] : [rest]),
            "onbuild" => rest.Length == 0 ? new Parsed([]) : new Parsed([]) { Inner = ParseLine(rest, escape, []) },
            // Unknown instructions are reported with their line by the instruction parser.
            _ => new Parsed([]),
        };
        return new SyntaxNode
        {
            Keyword = keyword,
            Flags = flags,
            Arguments = node.Arguments,
            IsJson = node.IsJson,
            IsLegacyKeyValue = node.IsLegacyKeyValue,
            Inner = node.Inner,
            Original = line,
            Comments = comments,
        };
    }

    private sealed record Parsed(IReadOnlyList<string> Arguments)
    {
        public bool IsJson { get; init; }
        public bool IsLegacyKeyValue { get; init; }
        public SyntaxNode? Inner { get; init; }
    }

    private static readonly char[] LineWhitespace = ['\t', '\v', '\f', '\r', ' '];

    private static (string Keyword, IReadOnlyList<string> Flags, string Remainder) SplitCommand(string line)
    {
        var trimmed = line.Trim();
        var split = trimmed.IndexOfAny(LineWhitespace);
        if (split < 0)
        {
            return (trimmed, [], "");
        }
        var (rest, flags) = ExtractFlags(trimmed[split..].TrimStart(LineWhitespace));
        return (trimmed[..split], flags, rest.Trim());
    }

    // The leading words that start with "--" are flags; quotes inside them are removed and \ escapes the next
    // character. "--" alone ends the flags.
    private static (string Remainder, List<string> Flags) ExtractFlags(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var quote = '\0';
        var inQuote = false;
        var blankOk = false;
        for (var pos = 0; pos <= line.Length; pos++)
        {
            var ch = pos < line.Length ? line[pos] : '\0';
            if (!inWord && !inQuote)
            {
                if (pos == line.Length)
                {
                    break;
                }
                if (char.IsWhiteSpace(ch))
                {
                    continue;
                }
                if (ch != '-' || pos + 1 == line.Length || line[pos + 1] != '-')
                {
                    return (line[pos..], words);
                }
                inWord = true;
            }
            if (pos == line.Length)
            {
                if (word.ToString() != "--" && (blankOk || word.Length > 0))
                {
                    words.Add(word.ToString());
                }
                break;
            }
            if (inWord && !inQuote)
            {
                if (char.IsWhiteSpace(ch))
                {
                    inWord = false;
                    if (word.ToString() == "--")
                    {
                        return (line[pos..], words);
                    }
                    if (blankOk || word.Length > 0)
                    {
                        words.Add(word.ToString());
                    }
                    word.Clear();
                    blankOk = false;
                    continue;
                }
                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                    inQuote = true;
                    continue;
                }
                if (ch == '\\')
                {
                    if (pos + 1 == line.Length)
                    {
                        continue;
                    }
                    ch = line[++pos];
                }
                word.Append(ch);
                continue;
            }
            if (ch == quote)
            {
                inQuote = false;
                continue;
            }
            if (ch == '\\')
            {
                if (pos + 1 == line.Length)
                {
                    inQuote = false;
                    continue;
                }
                ch = line[++pos];
            }
            word.Append(ch);
        }
        return ("", words);
    }

    // Words separated by whitespace, quotes and escapes kept in them (they are removed at expansion).
    internal static List<string> ParseWords(string rest, char escape)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var phase = 0; // 0 between words, 1 in a word, 2 in quotes
        var quote = '\0';
        var blankOk = false;
        for (var pos = 0; pos <= rest.Length; pos++)
        {
            var ch = pos < rest.Length ? rest[pos] : '\0';
            if (phase == 0)
            {
                if (pos == rest.Length)
                {
                    break;
                }
                if (char.IsWhiteSpace(ch))
                {
                    continue;
                }
                phase = 1;
            }
            if (pos == rest.Length)
            {
                if (blankOk || word.Length > 0)
                {
                    words.Add(word.ToString());
                }
                break;
            }
            if (phase == 1)
            {
                if (char.IsWhiteSpace(ch))
                {
                    phase = 0;
                    if (blankOk || word.Length > 0)
                    {
                        words.Add(word.ToString());
                    }
                    word.Clear();
                    blankOk = false;
                    continue;
                }
                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                    phase = 2;
                }
                if (ch == escape)
                {
                    if (pos + 1 == rest.Length)
                    {
                        continue;
                    }
                    // Unquoted, the escape and the character it escapes both stay in the word.
                    word.Append(ch);
                    ch = rest[++pos];
                }
                word.Append(ch);
                continue;
            }
            if (ch == quote)
            {
                phase = 1;
            }
            // Inside single quotes the escape token escapes nothing.
            if (ch == escape && quote != '\'')
            {
                if (pos + 1 == rest.Length)
                {
                    phase = 1;
                    continue;
                }
                word.Append(ch);
                ch = rest[++pos];
            }
            word.Append(ch);
        }
        return words;
    }

    private static Parsed NameValues(string rest, string keyword, char escape)
    {
        var words = ParseWords(rest, escape);
        if (words.Count == 0)
        {
            return new Parsed([]);
        }
        if (!words[0].Contains('=', StringComparison.Ordinal))
        {
            // The legacy form "ENV KEY value…": the value is the rest of the line, spaces and all.
            var split = rest.IndexOfAny(LineWhitespace);
            if (split < 0)
            {
                throw new InstructionException($"{keyword} must have two arguments");
            }
            var value = rest[split..].TrimStart(LineWhitespace);
            return new Parsed([rest[..split], value]) { IsLegacyKeyValue = true };
        }
        var pairs = new List<string>();
        foreach (var word in words)
        {
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                throw new InstructionException($"Syntax error - can't find = in {SyntaxNode.GoQuote(word)}. Must be of the form: name=value");
            }
            pairs.Add(word[..eq]);
            pairs.Add(word[(eq + 1)..]);
        }
        return new Parsed(pairs);
    }

    private static List<string> WhitespaceDelimited(string rest) =>
        rest.Length == 0 ? [] : [.. Regex.Split(rest, "[\t\v\f\r ]+")];

    // A JSON array of strings, strictly (json.Unmarshal); null when the text is no JSON array at all.
    private static List<string>? ParseJson(string rest)
    {
        rest = rest.TrimStart();
        if (!rest.StartsWith('['))
        {
            return null;
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(rest);
        }
        catch (JsonException)
        {
            return null;
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }
            var values = new List<string>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String)
                {
                    throw new InstructionException("when using JSON array syntax, arrays must be comprised of strings only");
                }
                values.Add(e.GetString()!);
            }
            return values;
        }
    }

    private static Parsed MaybeJson(string rest)
    {
        if (rest.Length == 0)
        {
            return new Parsed([]);
        }
        return ParseJson(rest) is { } json ? new Parsed(json) { IsJson = true } : new Parsed([rest]);
    }

    private static Parsed MaybeJsonToList(string rest) =>
        ParseJson(rest) is { } json ? new Parsed(json) { IsJson = true } : new Parsed(WhitespaceDelimited(rest));

    private static Parsed HealthConfig(string rest)
    {
        var sep = 0;
        while (sep < rest.Length && !char.IsWhiteSpace(rest[sep]))
        {
            sep++;
        }
        if (sep == 0)
        {
            return new Parsed([]);
        }
        var next = sep;
        while (next < rest.Length && char.IsWhiteSpace(rest[next]))
        {
            next++;
        }
        var cmd = MaybeJson(rest[next..]);
        return new Parsed([rest[..sep], .. cmd.Arguments]) { IsJson = cmd.IsJson };
    }

    // Parser directives: "# name=value" lines before anything else (Dockerfile reference, "Parser directives").
    private sealed class DirectiveReader
    {
        private static readonly Regex Pattern = new(@"^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$", RegexOptions.CultureInvariant);
        private static readonly string[] Known = ["syntax", "escape", "check"];
        private bool _done;

        public char EscapeToken { get; private set; } = '\\';

        public List<ParserDirective> Found { get; } = [];

        public bool Read(string line, int lineNumber)
        {
            if (_done)
            {
                return false;
            }
            if (!line.StartsWith('#'))
            {
                _done = true;
                return false;
            }
            var m = Pattern.Match(line[1..].TrimStart());
            if (!m.Success)
            {
                _done = true;
                return false;
            }
            var name = m.Groups[1].Value.ToLowerInvariant();
            if (!Known.Contains(name))
            {
                _done = true;
                return false;
            }
            if (Found.Any(d => d.Name == name))
            {
                throw new InstructionException($"only one {name} parser directive can be used");
            }
            var value = m.Groups[2].Value;
            if (name == "escape")
            {
                if (value is not ("`" or "\\"))
                {
                    throw new InstructionException($"invalid escape token '{value}' does not match ` or \\");
                }
                EscapeToken = value[0];
            }
            Found.Add(new ParserDirective(name, value, lineNumber));
            return true;
        }
    }
}
