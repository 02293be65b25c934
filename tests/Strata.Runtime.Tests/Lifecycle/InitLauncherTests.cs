using System.Text;
using Microsoft.Win32.SafeHandles;
using Strata.Linux;
using Strata.Oci.Runtime;
using Strata.Runtime.Init;
using Strata.Runtime.Lifecycle;

namespace Strata.Runtime.Tests.Lifecycle;

/// <summary>
/// The launchers' side of the native stage's protocol, against a stage 0 the test plays over real socket pairs
/// (no process is started: the pids are made up and the kernel calls on them recorded).
/// </summary>
public sealed class InitLauncherTests : IDisposable
{
    private const int Stage0Pid = 3100;
    private readonly TempDir _dir = new();
    private readonly RecordingSyscalls _sys = new();
    private readonly ContainerPlan _plan;
    private readonly SafeFileHandle _stage0Boot;
    private readonly ZygoteInit _zygote;

    public InitLauncherTests()
    {
        _dir.Dir("bundle/rootfs");
        var config = _dir.File("bundle/config.json", """
            {"ociVersion":"1.2.0","process":{"args":["/bin/true"],"cwd":"/","user":{"uid":0,"gid":0}},
             "root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"pid"},{"type":"mount"},{"type":"network"}]}}
            """);
        var spec = SpecLoader.ParseAndValidate(File.ReadAllBytes(config), config);
        _plan = ContainerPlan.From(spec, _dir.P("bundle"), "c1");
        var (boot, stage0Boot) = Sys.SocketPair();
        var (init, _) = Sys.SocketPair();
        _stage0Boot = stage0Boot;
        _zygote = new ZygoteInit(Stage0Pid, boot, init, _sys);
    }

    public void Dispose()
    {
        _zygote.Dispose();
        _stage0Boot.Dispose();
        _dir.Dispose();
    }

    /// <summary>Stage 0: reads the bootstrap, answers <paramref name="reply"/> (null: hangs up instead).</summary>
    private Task<string[]> Stage0(string? reply) => Task.Run(() =>
    {
        using var channel = new Channel(_stage0Boot);
        var entries = Encoding.UTF8.GetString(channel.ReceiveBytes("bootstrap")).TrimEnd('\0').Split('\0');
        if (reply is not null)
            Sys.WriteAll(_stage0Boot, Encoding.ASCII.GetBytes(reply + "\n"));
        return entries;
    });

    [Fact]
    public async Task ZygoteInit_Launch_SendsTheBootstrapAndReturnsTheInitsPid()
    {
        var stage0 = Stage0("pid=4321");

        var pid = _zygote.Launch(_plan);

        Assert.Equal(4321, pid);
        // The new namespaces but the cgroup one, which the init makes once it is in its cgroups.
        Assert.Equal([$"flags={(int)(NamespaceFlags.Pid | NamespaceFlags.Mount | NamespaceFlags.Network)}"], await stage0);
        Assert.False(_zygote.Preforked);
        Assert.Equal([new WaitPidCall(Stage0Pid, false)], _sys.Calls);
        _zygote.Abort();
        Assert.Single(_sys.Calls);
    }

    [Fact]
    public async Task ZygoteInit_Stage0ReportsAnError_ThrowsItsMessageOnceStage0IsReaped()
    {
        var stage0 = Stage0("error=unshare: operation not permitted");

        var thrown = Assert.Throws<RuntimeException>(() => _zygote.Launch(_plan));

        Assert.Equal("unshare: operation not permitted", thrown.Message);
        await stage0;
        Assert.Equal([new WaitPidCall(Stage0Pid, false)], _sys.Calls);
        _zygote.Abort();
        Assert.Single(_sys.Calls);
    }

    [Fact]
    public async Task ZygoteInit_Stage0HangsUp_AbortKillsAndReapsIt()
    {
        var stage0 = Stage0(reply: null);

        var thrown = Assert.Throws<RuntimeException>(() => _zygote.Launch(_plan));

        Assert.Contains("exited before sending the container's pid", thrown.Message, StringComparison.Ordinal);
        await stage0;
        _zygote.Abort();
        Assert.Equal([new KillCall(Stage0Pid, Signals.SIGKILL), new WaitPidCall(Stage0Pid, false)], _sys.Calls);
    }

    [Fact]
    public void PreforkedInit_Launch_GivesItThisProcesssAffinityAndLeavesItToTheCaller()
    {
        var (ours, theirs) = Sys.SocketPair();
        using var _ = theirs;
        using var init = new PreforkedInit(4400, ours, _sys);

        Assert.Equal(4400, init.Launch(_plan));
        init.Abort();

        Assert.True(init.Preforked);
        Assert.Equal([new AffinityCall(4400)], _sys.Calls);
    }

    [Fact]
    public void PreforkedInit_AffinityFails_AbortKillsAndReapsIt()
    {
        var (ours, theirs) = Sys.SocketPair();
        using var _ = theirs;
        using var init = new PreforkedInit(4400, ours, _sys);
        _sys.Fault = call => call is AffinityCall ? new SyscallException("sched_setaffinity 4400", Errno.EPERM) : null;

        Assert.Throws<SyscallException>(() => init.Launch(_plan));
        init.Abort();

        Assert.Equal([new AffinityCall(4400), new KillCall(4400, Signals.SIGKILL), new WaitPidCall(4400, false)], _sys.Calls);
    }
}
