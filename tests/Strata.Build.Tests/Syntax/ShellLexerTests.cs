using Strata.Build.Syntax;

namespace Strata.Build.Tests.Syntax;

public class ShellLexerTests
{
    private static readonly DictionaryLookup Env = new(new Dictionary<string, string>
    {
        ["HOME"] = "/home",
        ["EMPTY"] = "",
        ["PATH"] = "/usr/bin",
        ["NAME"] = "me",
        ["FILE"] = "/a/b/c.txt",
        ["S"] = "banana",
        ["LIST"] = "a b  c",
        ["STAR"] = "a*b",
    });

    private static string Word(string word, char escape = '\\') => new ShellLexer(escape).ProcessWord(word, Env);

    [Theory]
    // Dockerfile reference, "Environment replacement": $variable and ${variable} are the same.
    [InlineData("$HOME", "/home")]
    [InlineData("${HOME}", "/home")]
    [InlineData("${HOME}_bar", "/home_bar")]
    [InlineData("$HOME_bar", "")]
    [InlineData("a${HOME}b$NAME", "a/homebme")]
    // Escaping a reference keeps it literal.
    [InlineData("\\$HOME", "$HOME")]
    [InlineData("\\${HOME}", "${HOME}")]
    [InlineData("$", "$")]
    [InlineData("a$", "a$")]
    [InlineData("$1", "")]
    [InlineData("$-x", "x")]
    public void ProcessWord_References(string word, string expected) => Assert.Equal(expected, Word(word));

    [Theory]
    // ${variable:-word}: word when unset or empty; ${variable-word}: word when unset only.
    [InlineData("${UNSET:-word}", "word")]
    [InlineData("${EMPTY:-word}", "word")]
    [InlineData("${HOME:-word}", "/home")]
    [InlineData("${UNSET-word}", "word")]
    [InlineData("${EMPTY-word}", "")]
    [InlineData("${UNSET:-$HOME}", "/home")]
    [InlineData("${UNSET:-${NAME:-x}}", "me")]
    [InlineData("${UNSET:-a b}", "a b")]
    // ${variable:+word}: word when set and not empty; ${variable+word}: word when set.
    [InlineData("${HOME:+word}", "word")]
    [InlineData("${EMPTY:+word}", "")]
    [InlineData("${UNSET:+word}", "")]
    [InlineData("${EMPTY+word}", "word")]
    [InlineData("${UNSET+word}", "")]
    // ${variable:?message}: the value, or an error.
    [InlineData("${HOME:?must be set}", "/home")]
    [InlineData("${EMPTY?must be set}", "")]
    // Pattern removal and replacement (BuildKit 1.7+): # ## from the start, % %% from the end.
    [InlineData("${PATH#/usr}", "/bin")]
    [InlineData("${FILE#*/}", "a/b/c.txt")]
    [InlineData("${FILE##*/}", "c.txt")]
    [InlineData("${FILE%/*}", "/a/b")]
    [InlineData("${FILE%%/*}", "")]
    [InlineData("${FILE%.t?t}", "/a/b/c")]
    [InlineData("${STAR#a\\*}", "b")]
    [InlineData("${FILE/b/X}", "/a/X/c.txt")]
    [InlineData("${S/a/-}", "b-nana")]
    [InlineData("${S//a/-}", "b-n-n-")]
    [InlineData("${S//an/}", "ba")]
    [InlineData("${UNSET//a/-}", "")]
    public void ProcessWord_Modifiers(string word, string expected) => Assert.Equal(expected, Word(word));

    [Theory]
    [InlineData("'$HOME'", "$HOME")]
    [InlineData("\"$HOME\"", "/home")]
    [InlineData("\"a\\\"b\"", "a\"b")]
    [InlineData("\"a\\$HOME\"", "a$HOME")]
    [InlineData("\"a\\\\b\"", "a\\b")]
    [InlineData("\"a\\b\"", "a\\b")]
    [InlineData("'a\\b'", "a\\b")]
    [InlineData("'it'\"'\"'s'", "it's")]
    [InlineData("a\\ b", "a b")]
    [InlineData("Rex\\ The\\ Dog", "Rex The Dog")]
    [InlineData("\"John Doe\"", "John Doe")]
    [InlineData("a\\", "a")]
    [InlineData("$(echo hi)", "$(echo hi)")]
    [InlineData("`echo hi`", "`echo hi`")]
    public void ProcessWord_QuotesAndEscapes(string word, string expected) => Assert.Equal(expected, Word(word));

    [Theory]
    [InlineData("`$HOME", "$HOME")]
    [InlineData("\\$HOME", "\\/home")]
    [InlineData("c:\\windows", "c:\\windows")]
    [InlineData("\"a`\"b\"", "a\"b")]
    public void ProcessWord_BacktickEscape(string word, string expected) => Assert.Equal(expected, Word(word, '`'));

    [Theory]
    [InlineData("${", "syntax error: missing '}'")]
    [InlineData("${HOME", "syntax error: missing '}'")]
    [InlineData("${HOME:-x", "syntax error: missing '}'")]
    [InlineData("${}", "syntax error: bad substitution")]
    [InlineData("${:x}", "syntax error: bad substitution")]
    [InlineData("${{x}", "syntax error: bad substitution")]
    [InlineData("${HOME:x}", "unsupported modifier (:x) in substitution")]
    [InlineData("${HOME:#x}", "unsupported modifier (:#) in substitution")]
    [InlineData("${HOME^^}", "unsupported modifier (^) in substitution")]
    [InlineData("${UNSET:?}", "UNSET: is not allowed to be unset")]
    [InlineData("${UNSET?}", "UNSET: is not allowed to be unset")]
    [InlineData("${EMPTY:?}", "EMPTY: is not allowed to be empty")]
    [InlineData("${UNSET:?please set UNSET}", "UNSET: please set UNSET")]
    [InlineData("'abc", "unexpected end of statement while looking for matching single-quote")]
    [InlineData("\"abc", "unexpected end of statement while looking for matching double-quote")]
    [InlineData("${S/a}", "syntax error: missing '/' in ${}")]
    public void ProcessWord_Errors_CarryBuildKitsMessage(string word, string detail)
    {
        var e = Assert.Throws<ShellLexerException>(() => Word(word));
        Assert.Equal($"failed to process \"{word}\": {detail}", e.Message);
    }

    [Theory]
    [InlineData("a b c", new[] { "a", "b", "c" })]
    [InlineData("  a   b  ", new[] { "a", "b" })]
    [InlineData("$LIST", new[] { "a", "b", "c" })]
    [InlineData("\"$LIST\"", new[] { "a b  c" })]
    [InlineData("'a b' c", new[] { "a b", "c" })]
    [InlineData("a\\ b c", new[] { "a b", "c" })]
    [InlineData("x$LIST", new[] { "xa", "b", "c" })]
    [InlineData("\"\"", new string[0])]
    public void ProcessWords_SplitsAfterSubstitution(string word, string[] expected) =>
        Assert.Equal(expected, new ShellLexer().ProcessWords(word, Env));

    [Fact]
    public void SkipUnsetVariables_LeavesUnsetReferencesAsWritten()
    {
        var lexer = new ShellLexer { SkipUnsetVariables = true };
        Assert.Equal("$UNSET ${UNSET} ${UNSET:-x} /home", lexer.ProcessWord("$UNSET ${UNSET} ${UNSET:-x} $HOME", Env));
    }

    [Fact]
    public void RawQuotesAndEscapes_KeepThem()
    {
        var lexer = new ShellLexer { RawQuotes = true, RawEscapes = true };
        Assert.Equal("'a b' \"c\" d\\ e", lexer.ProcessWord("'a b' \"c\" d\\ e", Env));
    }

    [Fact]
    public void SkipProcessQuotes_TreatsQuotesAsText()
    {
        var lexer = new ShellLexer { SkipProcessQuotes = true };
        Assert.Equal("echo \"/home\" '/home' $HOME", lexer.ProcessWord("echo \"$HOME\" '$HOME' \\$HOME", Env));
    }

    [Fact]
    public void Process_ReportsMatchedAndUnmatchedNames()
    {
        var result = new ShellLexer().Process("$HOME ${UNSET:-x} $EMPTY", Env);
        Assert.Equal(["EMPTY", "HOME"], result.Matched.Order(StringComparer.Ordinal));
        Assert.Equal(["UNSET"], result.Unmatched);
    }
}
