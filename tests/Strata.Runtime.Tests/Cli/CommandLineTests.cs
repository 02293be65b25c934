using Strata.Runtime.Cli;

namespace Strata.Runtime.Tests.Cli;

public class CommandLineTests
{
    private static readonly Dictionary<string, bool> Flags = new()
    {
        ["bundle|b"] = true,
        ["pid-file"] = true,
        ["detach|d"] = false,
        ["preserve-fds"] = true,
        ["all|a"] = false,
    };

    private static CommandLine Parse(params string[] args) => CommandLine.Parse(args, Flags);

    [Theory]
    [InlineData("--bundle", "x")]
    [InlineData("-bundle", "x")]
    [InlineData("-b", "x")]
    [InlineData("--b", "x")]
    public void Parse_ValueFlagSeparateArgument_Value(string flag, string value)
    {
        var cl = Parse(flag, value, "c1");

        Assert.Equal(value, cl.Get("bundle"));
        Assert.Equal(["c1"], cl.Positionals);
    }

    [Theory]
    [InlineData("--bundle=x")]
    [InlineData("-bundle=x")]
    [InlineData("-b=x")]
    public void Parse_ValueFlagInline_Value(string arg)
    {
        var cl = Parse(arg, "c1");

        Assert.Equal("x", cl.Get("bundle"));
        Assert.Equal(["c1"], cl.Positionals);
    }

    [Fact]
    public void Parse_InlineValueWithEquals_KeptWhole()
    {
        Assert.Equal("a=b", Parse("--bundle=a=b").Get("bundle"));
        Assert.Equal("", Parse("--bundle=").Get("bundle"));
    }

    [Fact]
    public void Parse_ValueLooksLikeFlag_TakenAsValue()
    {
        var cl = Parse("--pid-file", "--detach");

        Assert.Equal("--detach", cl.Get("pid-file"));
        Assert.False(cl.Has("detach"));
    }

    [Fact]
    public void Parse_BoolFlag_TrueWithoutConsumingNext()
    {
        var cl = Parse("--detach", "c1");

        Assert.True(cl.Has("detach"));
        Assert.Equal("true", cl.Get("detach"));
        Assert.Equal(["c1"], cl.Positionals);
    }

    [Theory]
    [InlineData("--detach=false")]
    [InlineData("-d=false")]
    [InlineData("--detach=0")]
    public void Parse_BoolFlagExplicitFalse_NotSet(string arg)
    {
        Assert.False(Parse(arg).Has("detach"));
    }

    [Fact]
    public void Parse_BoolFlagExplicitTrue_Set()
    {
        Assert.True(Parse("-d=true").Has("detach"));
    }

    [Fact]
    public void Parse_AliasAndCanonical_LastWins()
    {
        Assert.Equal("second", Parse("--bundle", "first", "-b", "second").Get("bundle"));
    }

    [Fact]
    public void Parse_Absent_NullOrFallback()
    {
        var cl = Parse("c1");

        Assert.Null(cl.Get("bundle"));
        Assert.Equal(".", cl.Get("bundle", "."));
        Assert.False(cl.Has("detach"));
        Assert.Equal(0, cl.GetInt("preserve-fds", 0));
    }

    [Fact]
    public void Parse_UnknownFlag_UsageExceptionLikeGo()
    {
        var e = Assert.Throws<UsageException>(() => Parse("--bogus", "c1"));

        Assert.Equal("flag provided but not defined: -bogus", e.Message);
    }

    [Fact]
    public void Parse_UnknownInlineFlag_NameWithoutValue()
    {
        var e = Assert.Throws<UsageException>(() => Parse("--bogus=1"));

        Assert.Equal("flag provided but not defined: -bogus", e.Message);
    }

    [Fact]
    public void Parse_ValueFlagAtEnd_UsageExceptionNeedsArgument()
    {
        var e = Assert.Throws<UsageException>(() => Parse("c1", "--bundle"));

        Assert.Equal("flag needs an argument: -bundle", e.Message);
    }

    [Fact]
    public void Parse_PositionalsInterleaved_AllCollectedInOrder()
    {
        var cl = Parse("c1", "--detach", "KILL", "-b", "x", "extra");

        Assert.Equal(["c1", "KILL", "extra"], cl.Positionals);
        Assert.True(cl.Has("detach"));
        Assert.Equal("x", cl.Get("bundle"));
    }

    [Fact]
    public void Parse_SingleDash_Positional()
    {
        Assert.Equal(["-"], Parse("-").Positionals);
    }

    [Fact]
    public void Parse_DoubleDash_RestArePositionals()
    {
        var cl = Parse("--detach", "--", "--bundle", "x");

        Assert.Equal(["--bundle", "x"], cl.Positionals);
        Assert.Null(cl.Get("bundle"));
    }

    [Fact]
    public void Parse_StopAtFirstPositional_LaterFlagsArePositionals()
    {
        // exec: "strata-runtime exec -d c1 ps -a" runs "ps -a"; -a belongs to ps.
        var cl = CommandLine.Parse(["-d", "c1", "ps", "-a", "--bundle", "x"], Flags, stopAtFirstPositional: true);

        Assert.True(cl.Has("detach"));
        Assert.False(cl.Has("all"));
        Assert.Null(cl.Get("bundle"));
        Assert.Equal(["c1", "ps", "-a", "--bundle", "x"], cl.Positionals);
    }

    [Fact]
    public void Parse_StopAtFirstPositionalUnknownFlagAfter_NoError()
    {
        var cl = CommandLine.Parse(["c1", "--bogus"], Flags, stopAtFirstPositional: true);

        Assert.Equal(["c1", "--bogus"], cl.Positionals);
    }

    [Fact]
    public void Parse_WithoutStop_FlagAfterPositionalStillParsed()
    {
        var cl = Parse("c1", "-a");

        Assert.True(cl.Has("all"));
        Assert.Equal(["c1"], cl.Positionals);
    }

    [Fact]
    public void GetInt_Number_Parsed()
    {
        Assert.Equal(3, Parse("--preserve-fds=3").GetInt("preserve-fds", 0));
    }

    [Theory]
    [InlineData("x")]
    [InlineData("-1")]
    [InlineData("1.5")]
    public void GetInt_NotANonNegativeNumber_UsageException(string value)
    {
        var e = Assert.Throws<UsageException>(() => Parse("--preserve-fds", value).GetInt("preserve-fds", 0));

        Assert.Equal($"invalid value \"{value}\" for flag -preserve-fds: parse error", e.Message);
    }
}
