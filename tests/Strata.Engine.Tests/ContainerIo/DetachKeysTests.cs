using System.Text;
using Strata.Engine.ContainerIo;

namespace Strata.Engine.Tests.ContainerIo;

public class DetachKeysTests
{
    [Fact]
    public void Filter_DefaultKeys_DetachAndHoldOnlyTheSequence()
    {
        Assert.True(DetachKeys.TryParse(null, out var keys, out _));
        var (pass, detach) = keys.Filter(Encoding.ASCII.GetBytes("ab\x10"));
        Assert.Equal("ab", Encoding.ASCII.GetString(pass));
        Assert.False(detach);
        (pass, detach) = keys.Filter([0x11, (byte)'z']);
        Assert.Empty(pass);
        Assert.True(detach);
    }

    [Fact]
    public void Filter_FalseStart_PassesTheHeldBytes()
    {
        Assert.True(DetachKeys.TryParse("ctrl-p,ctrl-q", out var keys, out _));
        var (pass, detach) = keys.Filter([0x10, (byte)'x', 0x10, 0x10]);
        Assert.Equal(new byte[] { 0x10, (byte)'x', 0x10 }, pass);
        Assert.False(detach);
        (pass, detach) = keys.Filter([0x11]);
        Assert.Empty(pass);
        Assert.True(detach);
    }

    [Theory]
    [InlineData("ctrl-a,x", new byte[] { 1, (byte)'x' })]
    [InlineData("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", new byte[] { 0, 27, 28, 29, 30, 31 })]
    public void TryParse_DockersNames(string text, byte[] expected)
    {
        Assert.True(DetachKeys.TryParse(text, out var keys, out _));
        var (pass, detach) = keys.Filter(expected);
        Assert.Empty(pass);
        Assert.True(detach);
    }

    [Theory]
    [InlineData("ctrl-1")]
    [InlineData("abc")]
    [InlineData("ctrl-p,,ctrl-q")]
    public void TryParse_Bad_DockersMessage(string text)
    {
        Assert.False(DetachKeys.TryParse(text, out _, out var error));
        Assert.Equal($"Invalid detach keys ({text}) provided", error);
    }
}
