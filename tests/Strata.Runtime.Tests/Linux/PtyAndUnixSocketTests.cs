using Strata.Linux;

namespace Strata.Runtime.Tests.Linux;

/// <summary>The pieces of process.terminal that need no root: fd passing and a pty of the host's devpts.</summary>
public class PtyAndUnixSocketTests
{
    [Fact]
    public void SendFd_ReceiveFd_SameFileAndName()
    {
        using var temp = new TempDir();
        var file = Path.Combine(temp.Path, "f");
        File.WriteAllText(file, "payload");
        var (a, b) = UnixSocket.Pair();
        using (a)
        using (b)
        {
            using (var fd = Sys.Open(file, OpenFlags.ReadOnly))
                UnixSocket.SendFd(a, "/dev/ptmx", fd);
            var (received, name) = UnixSocket.ReceiveFd(b);
            using (received)
            {
                Assert.Equal("/dev/ptmx", name);
                var buffer = new byte[16];
                var n = Sys.Read(received, buffer);
                Assert.Equal("payload", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
    }

    [Fact]
    public void ReceiveFd_SenderClosedWithoutFd_Throws()
    {
        var (a, b) = UnixSocket.Pair();
        a.Dispose();
        using (b)
            Assert.Throws<SyscallException>(() => UnixSocket.ReceiveFd(b));
    }

    [Fact]
    public void Connect_NoSuchSocket_ErrorNamesPathAndErrno()
    {
        var e = Assert.Throws<SyscallException>(() => UnixSocket.Connect("/nonexistent/console.sock"));
        Assert.Equal("connect /nonexistent/console.sock: no such file or directory", e.Message);
    }

    [Fact]
    public void Listen_Accept_Connect_RoundTrip()
    {
        using var temp = new TempDir();
        var path = Path.Combine(temp.Path, "s.sock");
        using var listener = UnixSocket.Listen(path);
        Assert.Null(UnixSocket.Accept(listener, 0));
        using var client = UnixSocket.Connect(path);
        using var server = UnixSocket.Accept(listener, 1000);
        Assert.NotNull(server);
    }

    [Fact]
    public void OpenMaster_SlaveIsATerminalOfTheSizeSet()
    {
        var (master, slavePath) = Pty.OpenMaster();
        using (master)
        {
            Assert.Matches("^/dev/pts/[0-9]+$", slavePath);
            Pty.SetWindowSize(master, new WindowSize(33, 101));
            using var slave = Sys.Open(slavePath, OpenFlags.ReadWrite | (OpenFlags)0x100 /* O_NOCTTY */);
            Assert.True(Pty.IsTerminal(slave));
            Assert.Equal(new WindowSize(33, 101), Pty.GetWindowSize(slave));
        }
    }

    [Fact]
    public void MakeRaw_Restore_ModesComeBack()
    {
        var (master, slavePath) = Pty.OpenMaster();
        using (master)
        {
            using var slave = Sys.Open(slavePath, OpenFlags.ReadWrite | (OpenFlags)0x100);
            var saved = Pty.MakeRaw(slave);
            var raw = Pty.MakeRaw(slave);
            Assert.NotEqual(saved, raw);
            Pty.Restore(slave, saved);
            Assert.Equal(saved, Pty.MakeRaw(slave));
        }
    }
}
