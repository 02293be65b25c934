using System.Text;
using System.Text.RegularExpressions;

namespace Strata.Build.Syntax;

/// <summary>Where the lexer looks a variable up: a name is either set (possibly to "") or unset.</summary>
public interface IVariableLookup
{
    bool TryGet(string name, out string value);
}

/// <summary>A lookup over a dictionary; names are case-sensitive, as on Linux.</summary>
public sealed class DictionaryLookup(IReadOnlyDictionary<string, string> values) : IVariableLookup
{
    public static readonly DictionaryLookup Empty = new(new Dictionary<string, string>());

    public bool TryGet(string name, out string value) => values.TryGetValue(name, out value!);
}

/// <summary>
/// Word processing and variable substitution for Dockerfile instructions, with the rules of the Dockerfile
/// reference ("Environment replacement") as BuildKit's shell lexer applies them: $VAR and ${VAR}; ${VAR:-w},
/// ${VAR-w}, ${VAR:+w}, ${VAR+w}, ${VAR:?msg}, ${VAR?msg}; ${VAR#p}, ${VAR##p}, ${VAR%p}, ${VAR%%p};
/// ${VAR/p/r}, ${VAR//p/r}; single quotes literal, double quotes expanding, the escape token escaping
/// the next character (inside double quotes only " $ and itself). It never runs a command: $(…) and
/// backquotes stay literal.
/// </summary>
public sealed class ShellLexer(char escapeToken = '\\')
{
    public char EscapeToken { get; } = escapeToken;

    /// <summary>Keep quote characters in the result (used to tell quoted heredoc delimiters apart).</summary>
    public bool RawQuotes { get; init; }

    /// <summary>Keep escape characters in the result.</summary>
    public bool RawEscapes { get; init; }

    /// <summary>Treat quotes as ordinary characters (heredoc contents: only variables and escapes count).</summary>
    public bool SkipProcessQuotes { get; init; }

    /// <summary>Leave references to unset variables as written instead of replacing them with "".</summary>
    public bool SkipUnsetVariables { get; init; }

    /// <summary>Expands variables and removes quotes, keeping the spaces between words (ENV values, WORKDIR…).</summary>
    public string ProcessWord(string word, IVariableLookup variables) => Process(word, variables).Word;

    /// <summary>Expands variables and splits the result into words, quotes keeping words together.</summary>
    public IReadOnlyList<string> ProcessWords(string word, IVariableLookup variables) => Process(word, variables).Words;

    /// <summary>Expands variables and reports which names were looked up and whether they were set.</summary>
    public LexResult Process(string word, IVariableLookup variables)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(variables);
        var state = new State(this, word, variables);
        try
        {
            var (result, words) = state.ProcessStopOn(null, RawEscapes);
            return new LexResult(result, words, state.Matched, state.Unmatched);
        }
        catch (ShellLexerException e)
        {
            throw new ShellLexerException($"failed to process \"{word}\": {e.Message}");
        }
    }

    private sealed class State(ShellLexer lexer, string source, IVariableLookup variables)
    {
        private int _pos;
        private bool _rawEscapes = lexer.RawEscapes;
        public HashSet<string> Matched { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Unmatched { get; } = new(StringComparer.Ordinal);

        private const int Eof = -1;

        private int Peek() => _pos < source.Length ? source[_pos] : Eof;

        private int Next() => _pos < source.Length ? source[_pos++] : Eof;

        public (string Result, List<string> Words) ProcessStopOn(char? stop, bool rawEscapes)
        {
            var saved = _rawEscapes;
            _rawEscapes = rawEscapes;
            try
            {
                var result = new StringBuilder();
                var words = new WordSplitter();
                while (Peek() != Eof)
                {
                    var ch = (char)Peek();
                    if (stop is { } s && ch == s)
                    {
                        Next();
                        return (result.ToString(), words.Finish());
                    }
                    if (ch == '$')
                    {
                        var value = ProcessDollar();
                        result.Append(value);
                        words.AddExpanded(value);
                        continue;
                    }
                    if (ch == '\'' && !lexer.SkipProcessQuotes)
                    {
                        var value = ProcessSingleQuote();
                        result.Append(value);
                        words.AddRaw(value);
                        continue;
                    }
                    if (ch == '"' && !lexer.SkipProcessQuotes)
                    {
                        var value = ProcessDoubleQuote();
                        result.Append(value);
                        words.AddRaw(value);
                        continue;
                    }
                    Next();
                    if (ch == lexer.EscapeToken)
                    {
                        if (_rawEscapes)
                        {
                            words.AddRaw(ch);
                            result.Append(ch);
                        }
                        // An escape token at the very end escapes nothing and is dropped.
                        var escaped = Next();
                        if (escaped == Eof)
                        {
                            break;
                        }
                        words.AddRaw((char)escaped);
                        result.Append((char)escaped);
                        continue;
                    }
                    words.Add(ch);
                    result.Append(ch);
                }
                if (stop is { } missing)
                {
                    throw new ShellLexerException($"unexpected end of statement while looking for matching {missing}");
                }
                return (result.ToString(), words.Finish());
            }
            finally
            {
                _rawEscapes = saved;
            }
        }

        private string ProcessSingleQuote()
        {
            // sh(1): single quotes preserve every character; a single quote cannot be escaped inside them.
            var result = new StringBuilder();
            var open = Next();
            if (lexer.RawQuotes)
            {
                result.Append((char)open);
            }
            while (true)
            {
                var ch = Next();
                if (ch == Eof)
                {
                    throw new ShellLexerException("unexpected end of statement while looking for matching single-quote");
                }
                if (ch == '\'')
                {
                    if (lexer.RawQuotes)
                    {
                        result.Append('\'');
                    }
                    return result.ToString();
                }
                result.Append((char)ch);
            }
        }

        private string ProcessDoubleQuote()
        {
            // sh(1): inside double quotes $ expands and the escape token escapes only " $ and itself.
            var result = new StringBuilder();
            var open = Next();
            if (lexer.RawQuotes)
            {
                result.Append((char)open);
            }
            while (true)
            {
                switch (Peek())
                {
                    case Eof:
                        throw new ShellLexerException("unexpected end of statement while looking for matching double-quote");
                    case '"':
                        Next();
                        if (lexer.RawQuotes)
                        {
                            result.Append('"');
                        }
                        return result.ToString();
                    case '$':
                        result.Append(ProcessDollar());
                        break;
                    default:
                        var ch = (char)Next();
                        if (ch == lexer.EscapeToken)
                        {
                            if (_rawEscapes)
                            {
                                result.Append(ch);
                            }
                            var peek = Peek();
                            if (peek == Eof)
                            {
                                continue;
                            }
                            if (peek == '"' || peek == '$' || peek == lexer.EscapeToken)
                            {
                                ch = (char)Next();
                            }
                        }
                        result.Append(ch);
                        break;
                }
            }
        }

        private string ProcessDollar()
        {
            Next();
            if (Peek() != '{')
            {
                var plain = ProcessName();
                if (plain.Length == 0)
                {
                    return "$";
                }
                if (!Lookup(plain, out var v) && lexer.SkipUnsetVariables)
                {
                    return "$" + plain;
                }
                return v;
            }
            Next();
            switch (Peek())
            {
                case Eof:
                    throw new ShellLexerException("syntax error: missing '}'");
                case '{' or '}' or ':':
                    throw new ShellLexerException("syntax error: bad substitution");
            }
            var name = ProcessName();
            var op = Next();
            if (op == Eof)
            {
                throw new ShellLexerException("syntax error: missing '}'");
            }
            var ops = ((char)op).ToString();
            var nullIsUnset = false;
            switch (op)
            {
                case '}':
                {
                    var set = Lookup(name, out var value);
                    return !set && lexer.SkipUnsetVariables ? "${" + name + "}" : value;
                }
                case ':' or '+' or '-' or '?' or '#' or '%':
                {
                    if (op == ':')
                    {
                        nullIsUnset = true;
                        op = Next();
                        if (op == Eof)
                        {
                            throw new ShellLexerException("syntax error: missing '}'");
                        }
                        ops += (char)op;
                    }
                    var patternOp = op is '#' or '%';
                    if (nullIsUnset && patternOp)
                    {
                        throw new ShellLexerException($"unsupported modifier ({ops}) in substitution");
                    }
                    var word = ProcessBraced('}', patternOp, "syntax error: missing '}'");
                    var set = Lookup(name, out var value);
                    if (lexer.SkipUnsetVariables && !set)
                    {
                        return "${" + name + ops + word + "}";
                    }
                    switch (op)
                    {
                        case '-':
                            return !set || (nullIsUnset && value.Length == 0) ? word : value;
                        case '+':
                            return !set || (nullIsUnset && value.Length == 0) ? "" : word;
                        case '?':
                            if (!set)
                            {
                                throw new ShellLexerException($"{name}: {(word.Length > 0 ? word : "is not allowed to be unset")}");
                            }
                            if (nullIsUnset && value.Length == 0)
                            {
                                throw new ShellLexerException($"{name}: {(word.Length > 0 ? word : "is not allowed to be empty")}");
                            }
                            return value;
                        case '#' or '%':
                        {
                            // #/% remove the shortest match, ##/%% the longest.
                            var greedy = word.Length > 0 && word[0] == op;
                            if (greedy)
                            {
                                word = word[1..];
                            }
                            return op == '%' ? TrimSuffix(word, value, greedy) : TrimPrefix(word, value, greedy);
                        }
                        default:
                            throw new ShellLexerException($"unsupported modifier ({ops}) in substitution");
                    }
                }
                case '/':
                {
                    var replaceAll = Peek() == '/';
                    if (replaceAll)
                    {
                        Next();
                    }
                    var pattern = ProcessBraced('/', true, "syntax error: missing '/' in ${}");
                    var replacement = ProcessBraced('}', true, "syntax error: missing '}'");
                    var set = Lookup(name, out var value);
                    if (lexer.SkipUnsetVariables && !set)
                    {
                        return "${" + name + "/" + pattern + "/" + replacement + "}";
                    }
                    var re = PatternToRegex(pattern, greedy: true, anchored: false);
                    return replaceAll ? re.Replace(value, replacement.Replace("$", "$$", StringComparison.Ordinal)) : ReplaceFirst(re, value, replacement);
                }
                default:
                    throw new ShellLexerException($"unsupported modifier ({ops}) in substitution");
            }
        }

        private string ProcessBraced(char stop, bool rawEscapes, string missing)
        {
            try
            {
                return ProcessStopOn(stop, rawEscapes).Result;
            }
            catch (ShellLexerException) when (Peek() == Eof)
            {
                throw new ShellLexerException(missing);
            }
        }

        private static string ReplaceFirst(Regex re, string value, string replacement)
        {
            var m = re.Match(value);
            return m.Success ? string.Concat(value.AsSpan(0, m.Index), replacement, value.AsSpan(m.Index + m.Length)) : value;
        }

        private string ProcessName()
        {
            // POSIX shell names: letters, digits and _; a leading digit reads digits only ($1), and the special
            // parameters (XCU 2.5.2) are one character.
            var name = new StringBuilder();
            while (Peek() != Eof)
            {
                var ch = (char)Peek();
                if (name.Length == 0 && char.IsDigit(ch))
                {
                    while (Peek() != Eof && char.IsDigit((char)Peek()))
                    {
                        name.Append((char)Next());
                    }
                    return name.ToString();
                }
                if (name.Length == 0 && ch is '@' or '*' or '#' or '?' or '-' or '$' or '!' or '0')
                {
                    Next();
                    return ch.ToString();
                }
                if (!char.IsLetter(ch) && !char.IsDigit(ch) && ch != '_')
                {
                    break;
                }
                name.Append((char)Next());
            }
            return name.ToString();
        }

        private bool Lookup(string name, out string value)
        {
            if (variables.TryGet(name, out value!))
            {
                Matched.Add(name);
                return true;
            }
            Unmatched.Add(name);
            value = "";
            return false;
        }
    }

    private static string TrimPrefix(string pattern, string value, bool greedy)
    {
        var m = PatternToRegex(pattern, greedy, anchored: true).Match(value);
        return m.Success ? value[(m.Index + m.Length)..] : value;
    }

    private static string TrimSuffix(string pattern, string value, bool greedy)
    {
        // A regular expression finds the leftmost match only, so the shortest match at the end is found by
        // matching the reversed pattern at the start of the reversed value.
        return Reverse(TrimPrefix(ReversePattern(pattern), Reverse(value), greedy));
    }

    private static string Reverse(string s)
    {
        var chars = s.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }

    // Reverses a pattern keeping each escape before the character it escapes: a\*b becomes b\*a.
    private static string ReversePattern(string pattern)
    {
        var tokens = new List<string>();
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length)
            {
                tokens.Add(pattern.Substring(i, 2));
                i++;
            }
            else
            {
                tokens.Add(pattern[i].ToString());
            }
        }
        tokens.Reverse();
        return string.Concat(tokens);
    }

    // Shell pattern matching notation (XCU 2.13) without bracket expressions: ? one character, * any string.
    private static Regex PatternToRegex(string pattern, bool greedy, bool anchored)
    {
        var re = new StringBuilder(anchored ? "^" : "");
        for (var i = 0; i < pattern.Length; i++)
        {
            var ch = pattern[i];
            switch (ch)
            {
                case '*':
                    re.Append(greedy ? ".*" : ".*?");
                    continue;
                case '?':
                    re.Append('.');
                    continue;
                case '\\':
                    // } and / must be escaped inside ${}, but the escape is not part of the pattern.
                    if (i + 1 < pattern.Length && pattern[i + 1] is '}' or '/')
                    {
                        continue;
                    }
                    if (i + 1 >= pattern.Length || pattern[i + 1] is not ('*' or '?' or '\\'))
                    {
                        var next = i + 1 < pattern.Length ? pattern[i + 1].ToString() : "";
                        throw new ShellLexerException($"invalid escape '\\{next}'");
                    }
                    re.Append('\\').Append(pattern[++i]);
                    continue;
                case '[' or ']' or '{' or '}' or '.' or '+' or '(' or ')' or '|' or '^' or '$':
                    re.Append('\\').Append(ch);
                    continue;
                default:
                    re.Append(ch);
                    continue;
            }
        }
        return new Regex(re.ToString(), RegexOptions.CultureInvariant);
    }

    // Collects the words of a processed string: unquoted whitespace separates them, quoted or escaped text
    // and expanded values (split on their own whitespace) join the current word.
    private sealed class WordSplitter
    {
        private readonly StringBuilder _word = new();
        private readonly List<string> _words = [];
        private bool _inWord;

        public void Add(char ch)
        {
            if (char.IsWhiteSpace(ch))
            {
                if (_inWord && _word.Length != 0)
                {
                    _words.Add(_word.ToString());
                    _word.Clear();
                    _inWord = false;
                }
                return;
            }
            AddRaw(ch);
        }

        public void AddRaw(char ch)
        {
            _word.Append(ch);
            _inWord = true;
        }

        public void AddRaw(string s)
        {
            _word.Append(s);
            _inWord = true;
        }

        public void AddExpanded(string s)
        {
            foreach (var ch in s)
            {
                Add(ch);
            }
        }

        public List<string> Finish()
        {
            if (_word.Length > 0)
            {
                _words.Add(_word.ToString());
                _word.Clear();
                _inWord = false;
            }
            return _words;
        }
    }
}

/// <summary>The processed word, its words, and the variable names that were set and unset when looked up.</summary>
public sealed record LexResult(string Word, IReadOnlyList<string> Words, IReadOnlySet<string> Matched, IReadOnlySet<string> Unmatched);

/// <summary>A substitution the lexer cannot process; the message is BuildKit's.</summary>
public sealed class ShellLexerException : Exception
{
    public ShellLexerException(string message) : base(message)
    {
    }

    public ShellLexerException()
    {
    }

    public ShellLexerException(string message, Exception inner) : base(message, inner)
    {
    }
}
