using Strata.Linux;

namespace Strata.Runtime.Tests.Linux;

public class SignalsTests
{
    [Theory]
    [InlineData("KILL", 9)]
    [InlineData("SIGKILL", 9)]
    [InlineData("kill", 9)]
    [InlineData("sigkill", 9)]
    [InlineData("9", 9)]
    [InlineData("TERM", 15)]
    [InlineData("SIGHUP", 1)]
    [InlineData("WINCH", 28)]
    [InlineData("SYS", 31)]
    [InlineData("IOT", 6)]
    [InlineData("SIGPOLL", 29)]
    [InlineData("IO", 29)]
    [InlineData("1", 1)]
    [InlineData("64", 64)]
    [InlineData("RTMIN", 34)]
    [InlineData("RTMIN+3", 37)]
    [InlineData("SIGRTMIN+3", 37)]
    [InlineData("RTMAX", 64)]
    [InlineData("RTMAX-2", 62)]
    [InlineData("RTMIN+30", 64)]
    public void Parse_Known_Number(string text, int expected)
    {
        Assert.Equal(expected, Signals.Parse(text));
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("-9")]
    [InlineData("")]
    [InlineData("SIG")]
    [InlineData("RTMIN-1")]
    [InlineData("RTMAX+1")]
    [InlineData("RTMIN+x")]
    [InlineData("99999999999")]
    public void Parse_Unknown_Null(string text)
    {
        Assert.Null(Signals.Parse(text));
    }

    [Theory]
    [InlineData(9, "SIGKILL")]
    [InlineData(15, "SIGTERM")]
    [InlineData(31, "SIGSYS")]
    [InlineData(40, "signal 40")]
    [InlineData(0, "signal 0")]
    public void Name_Number_RuncSpelling(int signal, string expected)
    {
        Assert.Equal(expected, Signals.Name(signal));
    }
}
