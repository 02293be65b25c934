using Strata.Build.Syntax;

namespace Strata.Build.Tests.Syntax;

public class DockerfileParserTests
{
    private static SyntaxNode Single(string text) => Assert.Single(DockerfileParser.Parse(text).Nodes);

    private static string Dump(string text) => string.Join('\n', DockerfileParser.Parse(text).Nodes.Select(n => n.Dump()));

    [Theory]
    [InlineData("docker")]
    [InlineData("health")]
    [InlineData("influxdb")]
    public void Parse_BuildKitTestfile_DumpsBuildKitsExpectedTree(string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Syntax", "testfiles", name);
        var syntax = DockerfileParser.Parse(File.ReadAllText(Path.Combine(dir, "Dockerfile")));
        var expected = File.ReadAllText(Path.Combine(dir, "result"));
        Assert.Equal(expected, string.Concat(syntax.Nodes.Select(n => "(" + n.Dump() + ")\n")));
    }

    [Fact]
    public void Parse_LineNumbers_CoverContinuationsAndSkipCommentsAndBlankLines()
    {
        var syntax = DockerfileParser.Parse("# comment\n\nFROM a\n\nRUN one \\\n  two \\\n  three\n# trailing\nCMD x\n");
        Assert.Equal([(3, 3), (5, 7), (9, 9)], syntax.Nodes.Select(n => (n.StartLine, n.EndLine)));
    }

    [Fact]
    public void Parse_CommentInsideContinuation_IsDropped()
    {
        // Dockerfile reference, "Format": comment lines are removed before the instruction is processed.
        Assert.Equal("run \"echo hello world\"", Dump("RUN echo hello \\\n# comment\n    # indented comment\nworld\n"));
    }

    [Fact]
    public void Parse_ContinuationKeepsLeadingWhitespaceOfNextLine()
    {
        Assert.Equal("run \"a   b\"", Dump("RUN a \\\n  b\n"));
    }

    [Fact]
    public void Parse_EmptyContinuationLine_IsSkippedWithWarning()
    {
        // BuildKit's TestParseWarnsOnEmptyContinutationLine.
        var syntax = DockerfileParser.Parse("\nFROM alpine:3.6\n\nRUN something \\\n\n    following \\\n\n    more\n\nRUN another \\\n\n    thing\nRUN non-indented \\\n# this is a comment\n   after-comment\n\nRUN indented \\\n    # this is an indented comment\n    comment\n\t");
        Assert.Equal(2, syntax.Warnings.Count);
        Assert.Contains("Empty continuation line found in", syntax.Warnings[0].Message, StringComparison.Ordinal);
        Assert.Contains("RUN something     following     more", syntax.Warnings[0].Message, StringComparison.Ordinal);
        Assert.Contains("RUN another     thing", syntax.Warnings[1].Message, StringComparison.Ordinal);
        Assert.Equal("run \"non-indented    after-comment\"", syntax.Nodes[3].Dump());
        Assert.Equal("run \"indented     comment\"", syntax.Nodes[4].Dump());
    }

    [Fact]
    public void Parse_EscapedEscapeAtEndOfLine_DoesNotContinue()
    {
        var syntax = DockerfileParser.Parse("FROM a\nRUN echo \\\\\nRUN next\n");
        Assert.Equal(3, syntax.Nodes.Count);
        Assert.Equal("echo \\\\", syntax.Nodes[1].Arguments[0]);
    }

    [Fact]
    public void Parse_TrailingSpacesAfterEscape_StillContinue()
    {
        Assert.Equal("run \"a b\"", Dump("RUN a \\  \t\nb\n"));
    }

    [Fact]
    public void Parse_EscapeDirective_BacktickContinuesAndBackslashIsLiteral()
    {
        // Dockerfile reference, "escape": the Windows example.
        var syntax = DockerfileParser.Parse("# escape=`\n\nFROM microsoft/nanoserver\nCOPY testfile.txt c:\\\nRUN dir c:\\\nRUN a `\n  b\n");
        Assert.Equal('`', syntax.EscapeToken);
        Assert.Equal(["from \"microsoft/nanoserver\"", "copy \"testfile.txt\" \"c:\\\\\"", "run \"dir c:\\\\\"", "run \"a   b\""], syntax.Nodes.Select(n => n.Dump()));
        Assert.Equal(new ParserDirective("escape", "`", 1), Assert.Single(syntax.Directives));
    }

    [Fact]
    public void Parse_WithoutEscapeDirective_BackslashAtEndContinues()
    {
        // The reference's counter-example: without # escape=` the second line joins the first.
        var syntax = DockerfileParser.Parse("FROM microsoft/nanoserver\nCOPY testfile.txt c:\\\nRUN dir c:\\\n");
        Assert.Equal(2, syntax.Nodes.Count);
        Assert.Equal(["testfile.txt", "c:RUN", "dir", "c:"], syntax.Nodes[1].Arguments);
    }

    [Fact]
    public void Parse_Directives_SyntaxEscapeCheckReadAtTop()
    {
        var syntax = DockerfileParser.Parse("# syntax=docker/dockerfile:1\n#  ESCAPE = \\\n# check=skip=JSONArgsRecommended;error=true\nFROM a\n");
        Assert.Equal([("syntax", "docker/dockerfile:1", 1), ("escape", "\\", 2), ("check", "skip=JSONArgsRecommended;error=true", 3)],
            syntax.Directives.Select(d => (d.Name, d.Value, d.Line)));
        Assert.Equal("docker/dockerfile:1", syntax.Directive("syntax"));
        Assert.Empty(syntax.Nodes[0].Comments);
    }

    [Theory]
    [InlineData("# comment\n# escape=`\nFROM a\nRUN a `\n")] // after a comment
    [InlineData("\n# escape=`\nFROM a\nRUN a `\n")] // after an empty line
    [InlineData("FROM a\n# escape=`\nRUN a `\n")] // after an instruction
    [InlineData("# unknowndirective=x\n# escape=`\nFROM a\nRUN a `\n")] // an unknown directive is a comment
    [InlineData("# esc\\\n# ape=`\nFROM a\nRUN a `\n")] // a directive cannot be continued
    public void Parse_DirectiveNotAtTop_IsAComment(string text)
    {
        var syntax = DockerfileParser.Parse(text);
        Assert.Equal('\\', syntax.EscapeToken);
        Assert.Empty(syntax.Directives);
    }

    [Fact]
    public void Parse_DirectiveRepeated_IsAnErrorWithItsLine()
    {
        var e = Assert.Throws<DockerfileParseException>(() => DockerfileParser.Parse("# escape=\\\n# escape=`\nFROM a\n"));
        Assert.Equal("dockerfile parse error on line 2: only one escape parser directive can be used", e.Message);
        Assert.Equal("Dockerfile:2", e.Location);
    }

    [Fact]
    public void Parse_BadEscapeToken_IsAnError()
    {
        var e = Assert.Throws<DockerfileParseException>(() => DockerfileParser.Parse("# escape=x\nFROM a\n", "build/Containerfile"));
        Assert.Equal("dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\", e.Message);
        Assert.Equal("build/Containerfile:1", e.Location);
    }

    [Fact]
    public void Parse_ByteOrderMarkAndCrLf_AreIgnored()
    {
        var syntax = DockerfileParser.Parse("\uFEFF# escape=`\r\nFROM a\r\nRUN b `\r\n  c\r\n");
        Assert.Equal('`', syntax.EscapeToken);
        Assert.Equal(["from \"a\"", "run \"b   c\""], syntax.Nodes.Select(n => n.Dump()));
    }

    [Fact]
    public void Parse_KeywordsAreCaseInsensitive_AndKeepTheirSpelling()
    {
        var node = DockerfileParser.Parse("from Alpine AS Build\n").Nodes[0];
        Assert.Equal("from", node.Command);
        Assert.Equal("from", node.Keyword);
        Assert.Equal(["Alpine", "AS", "Build"], node.Arguments);
    }

    [Fact]
    public void Parse_Comments_AreAttachedToTheNextInstruction()
    {
        var syntax = DockerfileParser.Parse("FROM a\n# first\n# second\nRUN x\n\n# dropped by the blank\n\nRUN y\n");
        Assert.Equal(["first", "second"], syntax.Nodes[1].Comments);
    }

    [Fact]
    public void Parse_EmptyFile_IsAnError()
    {
        var e = Assert.Throws<DockerfileParseException>(() => DockerfileParser.Parse("# only a comment\n\n"));
        Assert.Equal("file with no instructions", e.Detail);
    }

    [Theory]
    [InlineData("CMD [\"echo\", \"hi\"]", true, new[] { "echo", "hi" })]
    [InlineData("CMD   [ \"a\" ]  ", true, new[] { "a" })]
    [InlineData("CMD []", true, new string[0])]
    [InlineData("CMD echo hi", false, new[] { "echo hi" })]
    [InlineData("CMD [\"a\" \"b\"]", false, new[] { "[\"a\" \"b\"]" })] // not JSON: shell form
    [InlineData("CMD ['a', 'b']", false, new[] { "['a', 'b']" })] // single quotes are not JSON
    [InlineData("CMD [\"a\"] trailing", false, new[] { "[\"a\"] trailing" })]
    [InlineData("ENTRYPOINT [\"/bin/echo\", \"Hello\"]", true, new[] { "/bin/echo", "Hello" })]
    [InlineData("RUN [\"c:\\\\windows\\\\system32\\\\tasklist.exe\"]", true, new[] { "c:\\windows\\system32\\tasklist.exe" })]
    [InlineData("SHELL [\"/bin/bash\", \"-c\"]", true, new[] { "/bin/bash", "-c" })]
    [InlineData("VOLUME [\"/data\", \"/logs\"]", true, new[] { "/data", "/logs" })]
    [InlineData("VOLUME /data /logs", false, new[] { "/data", "/logs" })]
    [InlineData("COPY [\"a b\", \"/dest dir/\"]", true, new[] { "a b", "/dest dir/" })]
    [InlineData("COPY a b /dest/", false, new[] { "a", "b", "/dest/" })]
    public void Parse_ExecAndShellForms(string line, bool json, string[] args)
    {
        var node = Single(line);
        Assert.Equal(json, node.IsJson);
        Assert.Equal(args, node.Arguments);
    }

    [Fact]
    public void Parse_JsonArrayOfNonStrings_IsAnError()
    {
        var e = Assert.Throws<DockerfileParseException>(() => DockerfileParser.Parse("FROM a\nCMD [\"a\", 1]\n"));
        Assert.Equal("dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only", e.Message);
    }

    [Theory]
    [InlineData("RUN --mount=type=cache,target=/root/.cache echo hi", new[] { "--mount=type=cache,target=/root/.cache" }, "echo hi")]
    [InlineData("RUN --network=none --security=insecure make", new[] { "--network=none", "--security=insecure" }, "make")]
    [InlineData("COPY --from=build --chown=1000:1000 --chmod=755 --link /a /b", new[] { "--from=build", "--chown=1000:1000", "--chmod=755", "--link" }, "/a /b")]
    [InlineData("FROM --platform=$BUILDPLATFORM golang AS build", new[] { "--platform=$BUILDPLATFORM" }, "golang AS build")]
    [InlineData("RUN --mount=\"type=bind,source=a b,target=/c\" ls", new[] { "--mount=type=bind,source=a b,target=/c" }, "ls")]
    [InlineData("RUN -- --not-a-flag", new string[0], "--not-a-flag")]
    [InlineData("RUN -x", new string[0], "-x")]
    public void Parse_Flags_ComeBeforeTheArguments(string line, string[] flags, string rest)
    {
        var node = Single(line);
        Assert.Equal(flags, node.Flags);
        Assert.Equal(rest, node.Command is "run" ? node.Arguments[0] : string.Join(' ', node.Arguments));
    }

    [Fact]
    public void Parse_EnvForms_KeyValueAndLegacy()
    {
        Assert.Equal("env \"MY_NAME\" \"\\\"John Doe\\\"\" \"MY_DOG\" \"Rex\\\\ The\\\\ Dog\" \"MY_CAT\" \"fluffy\"",
            Dump("ENV MY_NAME=\"John Doe\" MY_DOG=Rex\\ The\\ Dog \\\n    MY_CAT=fluffy\n"));
        var legacy = Single("ENV MY_VAR my-value with spaces");
        Assert.True(legacy.IsLegacyKeyValue);
        Assert.Equal(["MY_VAR", "my-value with spaces"], legacy.Arguments);
    }

    [Fact]
    public void Parse_EnvWithoutValue_IsAnError()
    {
        var e = Assert.Throws<DockerfileParseException>(() => DockerfileParser.Parse("FROM a\nENV ONLYKEY\n"));
        Assert.Equal("dockerfile parse error on line 2: ENV must have two arguments", e.Message);
    }

    [Fact]
    public void Parse_EnvMixingForms_IsAnError()
    {
        var e = Assert.Throws<DockerfileParseException>(() => DockerfileParser.Parse("FROM a\nLABEL a=b c\n"));
        Assert.Equal("dockerfile parse error on line 2: Syntax error - can't find = in \"c\". Must be of the form: name=value", e.Message);
    }

    [Fact]
    public void Parse_Label_QuotedKeysAndValuesKeepTheirQuotesUntilExpansion()
    {
        // Dockerfile reference, "LABEL".
        var node = Single("LABEL \"com.example.vendor\"=\"ACME Incorporated\" com.example.label-with-value=\"foo\" \\\n  version=\"1.0\" \\\n  description=\"This text illustrates \\\nthat label-values can span multiple lines.\"\n");
        Assert.Equal(
            ["\"com.example.vendor\"", "\"ACME Incorporated\"", "com.example.label-with-value", "\"foo\"", "version", "\"1.0\"",
             "description", "\"This text illustrates that label-values can span multiple lines.\""],
            node.Arguments);
    }

    [Fact]
    public void Parse_Onbuild_WrapsItsInstruction()
    {
        Assert.Equal("onbuild (run \"/usr/local/bin/python-build --dir /app/src\")", Dump("ONBUILD RUN /usr/local/bin/python-build --dir /app/src"));
        Assert.Equal("onbuild (add \".\" \"/app/src\")", Dump("ONBUILD ADD . /app/src"));
    }

    [Fact]
    public void Parse_UnknownInstruction_ParsesWithNoArguments()
    {
        // The instruction parser reports it, with its line (see InstructionParserTests).
        Assert.Equal("foo", Dump("FOO bar baz"));
    }

    [Fact]
    public void Parse_Heredocs_AsBuildKitExtractsThem()
    {
        // BuildKit's TestParseExtractsHeredoc.
        var syntax = DockerfileParser.Parse("""

            FROM alpine:3.6

            ENV NAME=me

            RUN ls

            USER <<INVALID
            INVALID

            RUN <<EMPTY
            EMPTY

            RUN 3<<EMPTY2
            EMPTY2

            RUN "<<NOHEREDOC"

            RUN <<INDENT
            	foo
            	bar
            INDENT

            RUN <<-UNINDENT
            	baz
            	quux
            UNINDENT

            RUN <<-UNINDENT2
            	baz
            	quux
            	UNINDENT2

            RUN <<-EXPAND
            	expand $NAME
            EXPAND

            RUN <<-'NOEXPAND'
            	don't expand $NAME
            NOEXPAND

            RUN <<COPY
            echo hello world
            echo foo bar
            COPY

            RUN <<COMMENT
            # internal comment
            echo hello world
            echo foo bar # trailing comment
            COMMENT

            RUN --mount=type=cache,target=/foo <<MOUNT
            echo hello
            MOUNT

            COPY <<FILE1 <<FILE2 /dest
            content 1
            FILE1
            content 2
            FILE2

            COPY <<X <<Y /dest
            Y
            X
            X
            Y

            """);
        Heredoc[][] expected =
        [
            [], // ENV
            [], // RUN ls
            [], // USER <<INVALID
            [], // INVALID
            [new("EMPTY", 0, true, false, "")],
            [new("EMPTY2", 3, true, false, "")],
            [], // RUN "<<NOHEREDOC"
            [new("INDENT", 0, true, false, "\tfoo\n\tbar\n")],
            [new("UNINDENT", 0, true, true, "\tbaz\n\tquux\n")],
            [new("UNINDENT2", 0, true, true, "\tbaz\n\tquux\n")],
            [new("EXPAND", 0, true, true, "\texpand $NAME\n")],
            [new("NOEXPAND", 0, false, true, "\tdon't expand $NAME\n")],
            [new("COPY", 0, true, false, "echo hello world\necho foo bar\n")],
            [new("COMMENT", 0, true, false, "# internal comment\necho hello world\necho foo bar # trailing comment\n")],
            [new("MOUNT", 0, true, false, "echo hello\n")],
            [new("FILE1", 0, true, false, "content 1\n"), new("FILE2", 0, true, false, "content 2\n")],
            [new("X", 0, true, false, "Y\n"), new("Y", 0, true, false, "X\n")],
        ];
        Assert.Equal(expected.Length + 1, syntax.Nodes.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], syntax.Nodes[i + 1].Heredocs);
        }
        Assert.Equal("\tbaz\n\tquux\n", syntax.Nodes[9].Heredocs[0].Content);
        Assert.Equal("baz\nquux\n", syntax.Nodes[9].Heredocs[0].EffectiveContent);
    }

    [Fact]
    public void Parse_HeredocLines_CountInTheInstructionsSpan()
    {
        var syntax = DockerfileParser.Parse("FROM a\nRUN <<EOF\nline1\nline2\nEOF\nCMD x\n");
        Assert.Equal([(1, 1), (2, 5), (6, 6)], syntax.Nodes.Select(n => (n.StartLine, n.EndLine)));
    }

    [Fact]
    public void Parse_JsonFormOrOtherInstructions_ReadNoHeredoc()
    {
        // BuildKit's TestParseJSONHeredoc.
        var syntax = DockerfileParser.Parse("FROM alpine:3.6\nRUN [\"whoami\"]\nRUN [\"<<EOF\"]\nRUN [\"<<'EOF'\"]\nEOF\n");
        Assert.All(syntax.Nodes, n => Assert.Empty(n.Heredocs));
    }

    [Fact]
    public void Parse_OnbuildHeredoc_IsRead()
    {
        var node = DockerfileParser.Parse("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\n").Nodes[1];
        Assert.Equal("echo hi\n", Assert.Single(node.Heredocs).Content);
    }

    [Fact]
    public void Parse_UnterminatedHeredoc_IsAnErrorAtItsInstruction()
    {
        var e = Assert.Throws<DockerfileParseException>(() => DockerfileParser.Parse("FROM a\nRUN <<EOF\necho hi\n"));
        Assert.Equal("dockerfile parse error on line 2: unterminated heredoc", e.Message);
        Assert.Equal(3, e.EndLine);
    }

    [Theory]
    [InlineData("<<EOF", "EOF", true, false)]
    [InlineData("<<'EOF'", "EOF", false, false)]
    [InlineData("<<\"EOF\"", "EOF", false, false)]
    [InlineData("<<-EOF", "EOF", true, true)]
    [InlineData("<<-'EOF'", "EOF", false, true)]
    [InlineData("<<-\"EOF\"", "EOF", false, true)]
    [InlineData("<<E'O'F", "EOF", false, false)]
    public void ParseHeredoc_ValidWords(string word, string name, bool expand, bool chomp)
    {
        var h = DockerfileParser.ParseHeredoc(word);
        Assert.NotNull(h);
        Assert.Equal((name, expand, chomp), (h.Name, h.Expand, h.Chomp));
    }

    [Theory]
    [InlineData("")]
    [InlineData("EOF")]
    [InlineData("<<")]
    [InlineData("<<-")]
    [InlineData("<EOF")]
    [InlineData("<<<EOF")]
    public void ParseHeredoc_NotHeredocs(string word) => Assert.Null(DockerfileParser.ParseHeredoc(word));

    [Theory]
    [InlineData("<<'EOF")]
    [InlineData("<<\"EOF")]
    [InlineData("<<EOF'")]
    [InlineData("<<EOF\"")]
    public void ParseHeredoc_UnbalancedQuotes_AreErrors(string word) =>
        Assert.Throws<ShellLexerException>(() => DockerfileParser.ParseHeredoc(word));

    [Theory]
    [InlineData("RUN <<EOF", new[] { "EOF" })]
    [InlineData("RUN <<-EOF", new[] { "EOF" })]
    [InlineData("RUN <<'EOF'", new[] { "EOF" })]
    [InlineData("RUN 4<<EOF", new[] { "EOF" })]
    [InlineData("RUN <<EOF <<EOF2", new[] { "EOF", "EOF2" })]
    [InlineData("RUN '<<EOF'", new string[0])]
    [InlineData("RUN \"<<EOF\"", new string[0])]
    [InlineData("RUN python3 <<EOF > /hello", new[] { "EOF" })]
    public void HeredocsFromLine_FindsEveryHeredocWord(string line, string[] names) =>
        Assert.Equal(names, DockerfileParser.HeredocsFromLine(line).Select(h => h.Name));

    [Fact]
    public void Parse_LineParsers_ParseWordsKeepQuotesAndEscapes()
    {
        // BuildKit's TestParseWords.
        Assert.Equal(["foo"], DockerfileParser.ParseWords("foo", '\\'));
        Assert.Equal(["foo", "bar"], DockerfileParser.ParseWords("foo bar", '\\'));
        Assert.Equal(["foo\\ bar"], DockerfileParser.ParseWords("foo\\ bar", '\\'));
        Assert.Equal(["foo=bar"], DockerfileParser.ParseWords("foo=bar", '\\'));
        Assert.Equal(["foo", "bar", "'abc xyz'"], DockerfileParser.ParseWords("foo bar 'abc xyz'", '\\'));
        Assert.Equal(["foo", "bar", "\"abc xyz\""], DockerfileParser.ParseWords("foo bar \"abc xyz\"", '\\'));
        Assert.Equal(["àöû"], DockerfileParser.ParseWords("àöû", '\\'));
        Assert.Equal(["föo", "bàr", "\"âbc xÿz\""], DockerfileParser.ParseWords("föo bàr \"âbc xÿz\"", '\\'));
    }
}
