using Strata.Linux;

namespace Strata.Runtime.Tests.Linux;

public class WaitStatusTests
{
    [Fact]
    public void Decode_Exit3_ExitedWithCode3()
    {
        var status = new WaitStatus(10, 0x0300);

        Assert.True(status.Exited);
        Assert.False(status.Signaled);
        Assert.Equal(3, status.ExitCode);
        Assert.Equal(3, status.ShellExitCode);
    }

    [Fact]
    public void Decode_Exit0_ExitedWithCode0()
    {
        var status = new WaitStatus(10, 0);

        Assert.True(status.Exited);
        Assert.Equal(0, status.ShellExitCode);
    }

    [Fact]
    public void Decode_Exit255_Code255()
    {
        Assert.Equal(255, new WaitStatus(10, 0xff00).ShellExitCode);
    }

    [Fact]
    public void Decode_KilledBySigkill_SignaledShell137()
    {
        var status = new WaitStatus(10, Signals.SIGKILL);

        Assert.False(status.Exited);
        Assert.True(status.Signaled);
        Assert.Equal(9, status.TermSignal);
        Assert.Equal(137, status.ShellExitCode);
    }

    [Fact]
    public void Decode_SegfaultWithCoreDump_SignalWithoutCoreBit()
    {
        var status = new WaitStatus(10, 0x80 | 11);

        Assert.True(status.Signaled);
        Assert.Equal(11, status.TermSignal);
        Assert.Equal(139, status.ShellExitCode);
    }

    [Fact]
    public void Decode_Stopped_NeitherExitedNorSignaled()
    {
        var status = new WaitStatus(10, (Signals.SIGSTOP << 8) | 0x7f);

        Assert.False(status.Exited);
        Assert.False(status.Signaled);
    }

    [Fact]
    public void WaitPid_RealChild_ExitCodeDecoded()
    {
        var pid = Sys.Spawn("/bin/sh", ["sh", "-c", "exit 3"], [], []);

        var status = Sys.WaitPid(pid);

        Assert.NotNull(status);
        Assert.Equal(pid, status.Value.Pid);
        Assert.Equal(3, status.Value.ShellExitCode);
    }

    [Fact]
    public void WaitPid_RealChildKilled_Shell137()
    {
        var pid = Sys.Spawn("/bin/sh", ["sh", "-c", "kill -KILL $$"], [], []);

        var status = Sys.WaitPid(pid);

        Assert.NotNull(status);
        Assert.True(status.Value.Signaled);
        Assert.Equal(137, status.Value.ShellExitCode);
    }
}
