using Strata.Oci.Runtime;

namespace Strata.Integration.Runtime;

/// <summary>
/// process.terminal: a pty made in the container, its master sent over --console-socket (create, run -d,
/// exec) or proxied by the runtime itself (run and exec in the foreground), as runc does.
/// </summary>
public class TerminalTests
{
    private static void WithTerminal(Spec spec, uint rows = 31, uint columns = 97)
    {
        spec.Process!.Terminal = true;
        spec.Process.ConsoleSize = new Box { Height = rows, Width = columns };
    }

    private static string Lines(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_ConsoleSocket_ProcessHasTheTerminalAndItsSize(string runtime)
    {
        using var sb = new Sandbox(runtime);
        using var socket = new ConsoleSocket(sb.Dir);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => WithTerminal(s), "sh", "-c",
            "tty; stty size; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; readlink /proc/self/fd/2; read line; echo got:$line; exit 5");
        var created = sb.ExecDetached("create", "--console-socket", socket.Path, "--bundle", bundle, id);
        Assert.True(created.ExitCode == 0, created.ToString());
        var (master, name) = socket.Receive();
        using var _ = master;
        Assert.Equal("/dev/ptmx", name);
        Assert.Equal((31, 97), master.Size);

        Assert.Equal(0, sb.Exec("start", id).ExitCode);
        master.WaitFor("/dev/pts/0\n31 97\nall-tty\n/dev/pts/0\n".Replace("\n", "\r\n", StringComparison.Ordinal));
        master.Write("hello\n");
        master.WaitFor("got:hello");
        master.WaitClosed();
        Assert.True(LifecycleTests.WaitFor(() => sb.StatusOf(id) == "stopped"));
        Assert.Equal("/dev/pts/0\n31 97\nall-tty\n/dev/pts/0\nhello\ngot:hello\n", Lines(master.Text));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_ConsoleSocket_TerminalIsControllingAndOwnedByTheUser(string runtime)
    {
        using var sb = new Sandbox(runtime);
        using var socket = new ConsoleSocket(sb.Dir);
        var id = sb.NewId();
        // The process is a session leader whose controlling terminal is the pty (ps shows the tty; /dev/tty opens),
        // /dev/console is the same pty, and a non-root user owns its terminal.
        var bundle = sb.Bundle(id, s =>
        {
            WithTerminal(s);
            s.Process!.User = new User { Uid = 1000, Gid = 1000 };
        }, "sh", "-c", "echo ok > /dev/tty; stat -c '%u %t' /dev/pts/0; stat -c '%t,%T' /dev/console /dev/pts/0 | sort -u | wc -l; cut -d' ' -f6,7 /proc/self/stat");
        var created = sb.ExecDetached("create", "--console-socket", socket.Path, "--bundle", bundle, id);
        Assert.True(created.ExitCode == 0, created.ToString());
        var (master, _) = socket.Receive();
        using var _m = master;
        Assert.Equal(0, sb.Exec("start", id).ExitCode);
        master.WaitClosed();
        var lines = Lines(master.Text).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 4, master.Text);
        Assert.Equal("ok", lines[0]);
        Assert.Equal("1000 88", lines[1]); // uid 1000, major 0x88 = 136 (devpts)
        Assert.Equal("1", lines[2]);
        // field 6 is the session id, 7 the tty: the stat of `cut`, in the same session, with a tty (nonzero).
        var fields = lines[3].Split(' ');
        Assert.NotEqual("0", fields[1]);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void RunDetached_ConsoleSocket_OutputOnTheMaster(string runtime)
    {
        using var sb = new Sandbox(runtime);
        using var socket = new ConsoleSocket(sb.Dir);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => WithTerminal(s, 12, 40), "sh", "-c", "stty size; read x; echo bye-$x");
        var run = sb.ExecDetached("run", "-d", "--console-socket", socket.Path, "--bundle", bundle, id);
        Assert.True(run.ExitCode == 0, run.ToString());
        var (master, _) = socket.Receive();
        using var _m = master;
        master.WaitFor("12 40");
        master.Write("now\n");
        master.WaitFor("bye-now");
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_TerminalWithoutConsoleSocket_FailsAndLeavesNothing(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => WithTerminal(s), "true");
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot allocate tty if runc will detach without setting console socket", result.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, sb.Exec("state", id).ExitCode);
        Assert.Empty(sb.LeftoverCgroups(id));

        var detached = sb.ExecDetached("run", "-d", "--bundle", bundle, id);
        Assert.Equal(1, detached.ExitCode);
        Assert.Contains("cannot allocate tty if runc will detach without setting console socket", detached.Stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_ConsoleSocketWithoutTerminal_Fails(string runtime)
    {
        using var sb = new Sandbox(runtime);
        using var socket = new ConsoleSocket(sb.Dir);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "true");
        var result = sb.ExecDetached("create", "--console-socket", socket.Path, "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot use console socket if runc will not detach or allocate tty", result.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, sb.Exec("state", id).ExitCode);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_ConsoleSocketMissingOrNotASocket_FailsAndLeavesNothing(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var notASocket = Path.Combine(sb.Dir, "plain-file");
        File.WriteAllText(notASocket, "");
        foreach (var path in new[] { Path.Combine(sb.Dir, "no-such.sock"), notASocket })
        {
            var id = sb.NewId();
            var bundle = sb.Bundle(id, s => WithTerminal(s), "true");
            var result = sb.ExecDetached("create", "--console-socket", path, "--bundle", bundle, id);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains(path, result.Stderr, StringComparison.Ordinal);
            Assert.Contains(path == notASocket ? "connection refused" : "no such file or directory", result.Stderr, StringComparison.Ordinal);
            Assert.NotEqual(0, sb.Exec("state", id).ExitCode);
            Assert.False(Directory.Exists(Path.Combine(sb.Root, id)));
            Assert.Empty(sb.LeftoverCgroups(id));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_TerminalAndFailingHook_FailsAndLeavesNothing(string runtime)
    {
        using var sb = new Sandbox(runtime);
        using var socket = new ConsoleSocket(sb.Dir);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s =>
        {
            WithTerminal(s);
            s.Hooks = new Hooks { CreateRuntime = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", "exit 3"] }] };
        }, "sleep", "1000");
        var result = sb.ExecDetached("create", "--console-socket", socket.Path, "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(sb.Root, id)));
        Assert.Empty(sb.LeftoverCgroups(id));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void ExecTty_ConsoleSocket_NewTerminalInTheContainer(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper();
        using var socket = new ConsoleSocket(sb.Dir);
        var pidFile = Path.Combine(sb.Dir, "exec.pid");
        var result = sb.ExecDetached("exec", "-t", "-d", "--console-socket", socket.Path, "--pid-file", pidFile, id,
            "sh", "-c", "tty; [ -t 0 ] && echo stdin-tty; read x; echo got:$x; exit 4");
        Assert.True(result.ExitCode == 0, result.ToString());
        var (master, name) = socket.Receive();
        using var _m = master;
        Assert.Equal("/dev/ptmx", name);
        master.WaitFor("stdin-tty");
        master.Write("abc\n");
        master.WaitFor("got:abc");
        master.WaitClosed();
        Assert.Equal("/dev/pts/0\nstdin-tty\nabc\ngot:abc\n", Lines(master.Text));
        Assert.Equal("running", sb.StatusOf(id));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void ExecProcessJson_Terminal_ConsoleSizeApplied(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper();
        using var socket = new ConsoleSocket(sb.Dir);
        var file = Path.Combine(sb.Dir, "process.json");
        File.WriteAllText(file, """{"terminal":true,"consoleSize":{"height":20,"width":70},"args":["sh","-c","stty size; tty"],"env":["PATH=/bin"],"cwd":"/","user":{"uid":0,"gid":0}}""");
        var result = sb.ExecDetached("exec", "--process", file, "-d", "--console-socket", socket.Path, id);
        Assert.True(result.ExitCode == 0, result.ToString());
        var (master, _) = socket.Receive();
        using var _m = master;
        master.WaitClosed();
        Assert.Equal("20 70\n/dev/pts/0\n", Lines(master.Text));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void ExecTty_DetachedWithoutConsoleSocket_Fails(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper();
        var result = sb.ExecDetached("exec", "-t", "-d", id, "true");
        Assert.NotEqual(0, result.ExitCode); // runc's exec fails with 255, strata-runtime's with 1
        Assert.Contains("cannot allocate tty if runc will detach without setting console socket", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("running", sb.StatusOf(id));
    }

    /// <summary>
    /// `run` in the foreground behind a terminal: the runtime puts it in raw mode, sizes the container's
    /// terminal like it, resizes on SIGWINCH, copies both ways, restores the modes and returns the status.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Run_Foreground_ProxiesTheCallersTerminal(string runtime)
    {
        using var sb = new Sandbox(runtime);
        using var host = new HostPty(25, 81);
        var modesBefore = host.Modes();
        var id = sb.NewId();
        // strata-runtime sizes the terminal before the process starts; runc resizes it once the process runs, so
        // under runc the container first waits (up to 2.5 s) for its size to leave consoleSize's 31x97.
        var waitForResize = sb.IsStrata ? "" : "i=0; while [ \"$(stty size)\" = \"31 97\" ] && [ $i -lt 50 ]; do sleep 0.05; i=$((i+1)); done; ";
        var bundle = sb.Bundle(id, s => WithTerminal(s), "sh", "-c", $"tty; {waitForResize}stty size; echo ready; read a; stty size; echo got:$a; exit 3");
        using var process = host.Start(sb.Binary, "--root", sb.Root, "run", "--bundle", bundle, id);
        try
        {
            host.Master.WaitFor("ready");
            // The container's terminal has the caller's size (not consoleSize), and the caller's is raw.
            Assert.Contains("/dev/pts/0\n25 81\nready", Lines(host.Master.Text), StringComparison.Ordinal);
            Assert.Contains("-icanon", host.ModesLong(), StringComparison.Ordinal);
            host.Resize(40, 120);
            Assert.Equal(0, Sandbox.Run("/bin/kill", ["-WINCH", process.Id.ToString()]).ExitCode);
            Thread.Sleep(500);
            host.Master.Write("typed\n");
            host.Master.WaitFor("got:typed");
            Assert.True(process.WaitForExit(20_000), host.Master.Text);
            Assert.Equal(3, process.ExitCode);
            Assert.Contains("40 120\ngot:typed", Lines(host.Master.Text), StringComparison.Ordinal);
            Assert.Equal(modesBefore, host.Modes());
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
        Assert.NotEqual(0, sb.Exec("state", id).ExitCode);
    }

    /// <summary>
    /// With the caller's terminal proxied (which uses .NET's signal handling for SIGWINCH), SIGINT and SIGTERM the
    /// runtime receives still go to the container, and the caller's terminal modes come back.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Run_ForegroundTerminal_ForwardsSignals(string runtime)
    {
        using var sb = new Sandbox(runtime);
        // runc 1.1.5 does not pass SIGINT on when the container has a terminal (seen here); SIGTERM it does.
        var signals = sb.IsStrata ? new[] { ("TERM", 6), ("INT", 5) } : [("TERM", 6)];
        foreach (var (name, status) in signals)
        {
            using var host = new HostPty(25, 81);
            var modesBefore = host.Modes();
            var id = sb.NewId();
            var bundle = sb.Bundle(id, s => WithTerminal(s), "sh", "-c", $"trap 'echo got {name}; exit {status}' {name}; echo ready; while :; do sleep 0.05; done");
            using var process = host.Start(sb.Binary, "--root", sb.Root, "run", "--bundle", bundle, id);
            try
            {
                host.Master.WaitFor("ready");
                Assert.Equal(0, Sandbox.Run("/bin/kill", [$"-{name}", process.Id.ToString()]).ExitCode);
                host.Master.WaitFor($"got {name}");
                Assert.True(process.WaitForExit(20_000), host.Master.Text);
                Assert.Equal(status, process.ExitCode);
                Assert.Equal(modesBefore, host.Modes());
            }
            finally
            {
                if (!process.HasExited)
                    process.Kill();
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void ExecTty_Foreground_ProxiesAndReturnsStatus(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper();
        using var host = new HostPty(30, 100);
        var modesBefore = host.Modes();
        // strata-runtime makes the exec's terminal with the caller's size; runc resizes it once the process runs,
        // so under runc the process first waits (up to 2.5 s) for its size to leave 0 0.
        var waitForResize = sb.IsStrata ? "" : "i=0; while [ \"$(stty size 2>/dev/null)\" != \"30 100\" ] && [ $i -lt 50 ]; do sleep 0.05; i=$((i+1)); done; ";
        using var process = host.Start(sb.Binary, "--root", sb.Root, "exec", "-t", id, "sh", "-c", $"tty; {waitForResize}stty size; read a; echo got:$a; exit 4");
        try
        {
            host.Master.WaitFor("30 100");
            host.Master.Write("x\n");
            host.Master.WaitFor("got:x");
            Assert.True(process.WaitForExit(20_000), host.Master.Text);
            Assert.Equal(4, process.ExitCode);
            Assert.StartsWith("/dev/pts/0\n30 100\n", Lines(host.Master.Text), StringComparison.Ordinal);
            Assert.Equal(modesBefore, host.Modes());
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
        Assert.Equal("running", sb.StatusOf(id));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Run_ForegroundTerminalWithNoTerminalAround_FailsAndLeavesNothing(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => WithTerminal(s), "true");
        // stdio on pipes and, in a new session, no controlling terminal: nothing to proxy to.
        var result = Sandbox.Run("/usr/bin/setsid", ["-w", sb.Binary, "--root", sb.Root, "run", "--bundle", bundle, id]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/dev/tty: no such device or address", result.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, sb.Exec("state", id).ExitCode);
        Assert.Empty(sb.LeftoverCgroups(id));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Run_ForegroundWithConsoleSocket_Fails(string runtime)
    {
        using var sb = new Sandbox(runtime);
        using var socket = new ConsoleSocket(sb.Dir);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => WithTerminal(s), "true");
        var result = sb.Exec("run", "--console-socket", socket.Path, "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot use console socket if runc will not detach or allocate tty", result.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, sb.Exec("state", id).ExitCode);
    }
}
