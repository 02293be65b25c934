using Strata.Cgroups;
using Strata.Linux;
using Strata.Oci.Runtime;
using Strata.Runtime.Init;
using Strata.Runtime.Lifecycle;
using Strata.Runtime.State;

namespace Strata.Runtime.Tests.Lifecycle;

/// <summary>
/// create's steps and its clean-up after a failure, with the kernel calls recorded, the cgroup a fake and the
/// init the other end of a real socket pair: no root, no process started.
/// </summary>
public sealed class CreateTests : IDisposable
{
    private const string Id = "c1";
    private const int InitPid = 4242;
    private const string Config = """
        {"ociVersion":"1.2.0","process":{"args":["/bin/true"],"cwd":"/","user":{"uid":0,"gid":0}},
         "root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"pid"},{"type":"mount"}]}}
        """;

    private readonly TempDir _dir = new();
    private readonly RecordingSyscalls _sys = new();
    private readonly FakeCgroup _cgroup = new();
    private readonly FakeInit _init = new(InitPid);
    private readonly List<string> _warnings = [];
    private readonly ContainerRuntime _runtime;
    private readonly string _bundle;

    public CreateTests()
    {
        _bundle = _dir.Dir("bundle");
        _dir.Dir("bundle/rootfs");
        _dir.File("bundle/config.json", Config);
        // The init lives until it is sent SIGKILL.
        _sys.ProcStats = pid => pid == InitPid && !_sys.Calls.Contains(new KillCall(InitPid, Signals.SIGKILL)) ? new ProcStat(pid, 'S', 777) : null;
        var host = CgroupHost.FromFiles("35 24 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n", "0::/\n");
        _runtime = new ContainerRuntime(_dir.P("root"))
        {
            Syscalls = _sys,
            OpenNewCgroup = _ => (host, _cgroup),
            InitLauncher = _ => _init,
            Warn = _warnings.Add,
        };
    }

    public void Dispose()
    {
        _init.InitEnd.Dispose();
        _dir.Dispose();
    }

    private ContainerRecord Create() => _runtime.Create(Id, new CreateOptions { Bundle = _bundle });

    private bool StateExists => Directory.Exists(_runtime.Store.DirectoryOf(Id));

    /// <summary>The init's side of create: reads what the parent sends, then answers <paramref name="answer"/>.</summary>
    private Task<InitRequest> Answer(SyncMessage answer) => Task.Run(() =>
    {
        var request = _init.InitEnd.ReceiveInitRequest();
        _init.InitEnd.ReceiveBytes("config.json");
        _init.InitEnd.ReceiveCgroups();
        using (_init.InitEnd.ReceiveFd("fifo"))
            _init.InitEnd.Send(answer);
        return request;
    });

    [Fact]
    public async Task Create_InitReady_SavesTheStateWithTheInitsStartTime()
    {
        var init = Answer(new SyncMessage { Type = SyncMessage.Ready });

        var record = Create();

        var request = await init;
        Assert.Equal(InitPid, request.InitPid);
        Assert.Equal(Id, request.ContainerId);
        Assert.Equal(777ul, record.InitStartTime);
        Assert.Equal(InitPid, _runtime.Store.Load(Id).InitPid);
        Assert.Equal(["prepare", "create", "apply", $"add {InitPid}"], _cgroup.Calls);
        Assert.Equal(new FifoCall(_runtime.Store.FifoOf(Id), (UnixFileMode)0x192), Assert.Single(_sys.Calls));
        Assert.True(_init.Disposed);
        Assert.False(_init.Aborted);
        Assert.Empty(_warnings);
    }

    [Fact]
    public void Create_FifoFails_RemovesTheCgroupAndStateAndStartsNoInit()
    {
        var error = new SyscallException("mkfifo", Errno.EACCES, "exec.fifo");
        _sys.Fault = call => call is FifoCall ? error : null;

        var thrown = Assert.Throws<SyscallException>(Create);

        Assert.Same(error, thrown);
        Assert.False(StateExists);
        Assert.Equal(["prepare", "destroy"], _cgroup.Calls);
        Assert.False(_init.Launched);
        Assert.DoesNotContain(_sys.Calls, c => c is KillCall);
        Assert.Empty(_warnings);
    }

    [Fact]
    public void Create_CgroupLimitRefused_KillsTheInitAndRemovesEverything()
    {
        var error = new CgroupException("write memory.max: invalid argument");
        _cgroup.Fault = step => step == "apply" ? error : null;

        var thrown = Assert.Throws<CgroupException>(Create);

        Assert.Same(error, thrown);
        Assert.False(StateExists);
        Assert.Contains(new KillCall(InitPid, Signals.SIGKILL), _sys.Calls);
        Assert.Equal("destroy", _cgroup.Calls[^1]);
        Assert.True(_init.Aborted);
        Assert.True(_init.Disposed);
        Assert.Empty(_warnings);
    }

    [Fact]
    public async Task Create_InitReportsAnError_ReportsItsMessageAndRemovesEverything()
    {
        var init = Answer(new SyncMessage { Type = SyncMessage.Error, Message = "mount proc on /proc: permission denied" });

        var thrown = Assert.Throws<RuntimeException>(Create);

        Assert.Equal("mount proc on /proc: permission denied", thrown.Message);
        Assert.Equal(InitPid, (await init).InitPid);
        Assert.False(StateExists);
        Assert.Contains(new KillCall(InitPid, Signals.SIGKILL), _sys.Calls);
        Assert.Equal("destroy", _cgroup.Calls[^1]);
    }

    [Fact]
    public void Create_InitFailsToStart_AbortsTheLauncherAndKillsNothingElse()
    {
        _init.LaunchError = new RuntimeException("nsexec: unshare: operation not permitted");

        var thrown = Assert.Throws<RuntimeException>(Create);

        Assert.Equal("nsexec: unshare: operation not permitted", thrown.Message);
        Assert.True(_init.Aborted);
        Assert.DoesNotContain(_sys.Calls, c => c is KillCall);
        Assert.False(StateExists);
    }

    [Fact]
    public void Create_CleanupFails_ReportsTheOriginalErrorAndWarnsOfTheCleanupOne()
    {
        var error = new SyscallException("mkfifo", Errno.EACCES, "exec.fifo");
        _sys.Fault = call => call is FifoCall ? error : null;
        _cgroup.Fault = step => step == "destroy" ? new CgroupException("rmdir /sys/fs/cgroup/c1: device or resource busy") : null;

        var thrown = Assert.Throws<SyscallException>(Create);

        Assert.Same(error, thrown);
        Assert.Equal("cleaning up after a failed create: rmdir /sys/fs/cgroup/c1: device or resource busy", Assert.Single(_warnings));
        // The state goes even though the cgroup could not.
        Assert.False(StateExists);
    }

    [Fact]
    public void Create_ApplyAndItsUndoFail_ReportsTheApplyError()
    {
        var error = new CgroupException("write memory.max: invalid argument");
        _cgroup.Fault = step => step switch
        {
            "apply" => error,
            "destroy" => new CgroupException("rmdir: device or resource busy"),
            _ => null,
        };

        var thrown = Assert.Throws<CgroupException>(Create);

        Assert.Same(error, thrown);
        Assert.All(_warnings, w => Assert.Contains("device or resource busy", w, StringComparison.Ordinal));
        Assert.NotEmpty(_warnings);
        Assert.False(StateExists);
    }

    private sealed class FakeInit : IInitLauncher
    {
        public FakeInit(int pid)
        {
            Pid = pid;
            var (ours, theirs) = Sys.SocketPair();
            Channel = new Channel(ours);
            InitEnd = new Channel(theirs);
        }

        public int Pid { get; }

        /// <summary>The init's end of the channel, which the test plays.</summary>
        public Channel InitEnd { get; }

        public Exception? LaunchError { get; set; }

        public bool Launched { get; private set; }

        public bool Aborted { get; private set; }

        public bool Disposed { get; private set; }

        public bool Preforked => true;

        public Channel Channel { get; }

        public int Launch(ContainerPlan plan)
        {
            Launched = true;
            return LaunchError is { } e ? throw e : Pid;
        }

        public void Abort() => Aborted = true;

        public void Dispose()
        {
            Disposed = true;
            Channel.Dispose();
        }
    }

    private sealed class FakeCgroup : ICgroupManager
    {
        public List<string> Calls { get; } = [];

        public Func<string, Exception?> Fault { get; set; } = _ => null;

        public string CgroupsPath => "/c1";

        public IReadOnlyDictionary<string, string> Paths { get; } = new Dictionary<string, string> { ["unified"] = "/sys/fs/cgroup/c1" };

        private void Step(string name)
        {
            Calls.Add(name);
            if (Fault(name) is { } error)
                throw error;
        }

        public void Prepare() => Step("prepare");

        public void Create() => Step("create");

        public void Apply(LinuxResources? resources) => Step("apply");

        public void AddProcess(int pid) => Step($"add {pid}");

        public IReadOnlyList<int> GetPids() => [];

        public CgroupStats GetStats() => throw new NotSupportedException();

        public void Freeze() => throw new NotSupportedException();

        public void Thaw() => throw new NotSupportedException();

        public bool IsFrozen() => false;

        public void Destroy() => Step("destroy");
    }
}
