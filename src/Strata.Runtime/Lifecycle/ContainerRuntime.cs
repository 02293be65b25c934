using System.Globalization;
using System.Text;
using Strata.Cgroups;
using Strata.Linux;
using Strata.Oci.Runtime;
using Strata.Runtime.State;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// The runtime's verbs over the state under --root. A library, so a daemon can host it; the runc-style
/// command line is a thin layer over it.
/// </summary>
public sealed partial class ContainerRuntime(string root, string initBinary = "/proc/self/exe")
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A copy of config.json in the state directory: hooks and exec read it after create.</summary>
    private const string ConfigCopy = StateStore.ConfigCopy;

    /// <summary>Where warnings go (the --log file, or stderr): poststart and poststop failures only warn.</summary>
    public Action<string> Warn { get; init; } = message => Console.Error.WriteLine(message);

    /// <summary>Debug log lines (the CLI's --debug).</summary>
    public Action<string> Debug { get; init; } = _ => { };

    public StateStore Store { get; } = new(root);

    /// <summary>The kernel calls of the parent side: processes, the exec fifo, the init's channel.</summary>
    internal ISyscalls Syscalls { get; init; } = LinuxSyscalls.Instance;

    /// <summary>The host's cgroups and a new container's cgroup in them, not yet made; null: this host's, with
    /// warnings about settings its kernel cannot hold going to <see cref="Warn"/>.</summary>
    internal Func<string, (CgroupHost Host, ICgroupManager Manager)>? OpenNewCgroup { get; init; }

    /// <summary>How create starts the init, when not as <see cref="ChooseLauncher"/> decides (tests).</summary>
    internal Func<ContainerPlan, IInitLauncher>? InitLauncher { get; init; }

    /// <summary>
    /// The status as of now, which nothing stores: stopped once the init is gone, created while the exec fifo
    /// exists (start removes it), paused while the cgroup is frozen, else running.
    /// </summary>
    public ContainerStatus StatusOf(ContainerRecord record)
    {
        if (!IsAlive(record))
            return ContainerStatus.Stopped;
        if (File.Exists(Store.FifoOf(record.Id)))
            return ContainerStatus.Created;
        try
        {
            if (OpenCgroup(record)?.IsFrozen() == true)
                return ContainerStatus.Paused;
        }
        catch (Exception e) when (e is CgroupException or IOException)
        {
            // no freezer: cannot be paused
        }
        return ContainerStatus.Running;
    }

    /// <summary>Each verb's first step: the container's record and its status as of now.</summary>
    private (ContainerRecord Record, ContainerStatus Status) Refresh(string id)
    {
        var record = Store.Load(id);
        return (record, StatusOf(record));
    }

    /// <summary>Alive means: the pid exists, is not a zombie, and started when our init did.</summary>
    private bool IsAlive(ContainerRecord record) =>
        record.InitPid > 0 && Syscalls.ReadProcStat(record.InitPid) is { } stat && !stat.IsZombieOrDead && stat.StartTime == record.InitStartTime;

    /// <summary>The container's cgroup; null for a rootless container that runs in its caller's.</summary>
    private static ICgroupManager? OpenCgroup(ContainerRecord record) =>
        record.CgroupPaths.Count > 0 ? CgroupManager.Open(CgroupHost.Detect(), record.CgroupPaths)
        : record.CgroupsPath.Length > 0 ? CgroupManager.Open(CgroupHost.Detect(), record.CgroupsPath)
        : null;

    private static ICgroupManager RequireCgroup(ContainerRecord record, string verb) =>
        OpenCgroup(record) ?? throw new RuntimeException($"{verb} needs the container's own cgroup, and container {record.Id} has none (rootless, without a delegated cgroup tree)");

    private static List<int> SafePids(ICgroupManager cgroup)
    {
        try
        {
            return cgroup.GetPids().ToList();
        }
        catch (Exception e) when (e is CgroupException or IOException)
        {
            return [];
        }
    }

    private WaitStatus WaitForExit(int pid)
    {
        while (true)
        {
            var status = Syscalls.WaitPid(pid) ?? throw new RuntimeException($"waitpid {pid}: no status");
            if (status.Pid == pid && (status.Exited || status.Signaled))
                return status;
        }
    }

    private void WaitGone(int pid, ulong? startTime)
    {
        var deadline = DateTime.UtcNow + StopTimeout;
        while (DateTime.UtcNow < deadline)
        {
            var stat = Syscalls.ReadProcStat(pid);
            if (stat is null || stat.Value.IsZombieOrDead || (startTime is { } st && stat.Value.StartTime != st))
            {
                // Reap it if it is ours (run, or an init re-parented to a subreaper).
                try { Syscalls.WaitPid(pid, noHang: true); } catch (SyscallException) { }
                return;
            }
            Thread.Sleep(5);
        }
        throw new RuntimeException($"process {pid} did not exit within {StopTimeout.TotalSeconds}s of SIGKILL");
    }

    private Hooks? HooksOf(string id) => ConfigOf(id)?.Hooks;

    /// <summary>The container's config.json as it was at create.</summary>
    private Spec? ConfigOf(string id)
    {
        var path = Path.Combine(Store.DirectoryOf(id), ConfigCopy);
        return File.Exists(path) ? SpecLoader.Parse(File.ReadAllBytes(path), path) : null;
    }

    private static void WritePidFile(string path, int pid) =>
        AtomicFile.Write(Path.GetFullPath(path), Encoding.ASCII.GetBytes(pid.ToString(CultureInfo.InvariantCulture)), (UnixFileMode)0x1A4 /* 0644 */, durable: false);

    /// <summary>
    /// runc's checkTerminal and setupIO: a detached process with a terminal needs a console socket, a
    /// console socket needs a detached process with a terminal. Returns the socket end for the init (the
    /// given socket, connected) and, in the foreground, the runtime's own end and the host's terminal.
    /// All of it happens before anything of the container exists.
    /// </summary>
    private static (Microsoft.Win32.SafeHandles.SafeFileHandle? ForInit, ForegroundTerminal? Foreground) OpenConsole(bool terminal, bool detach, string? consoleSocket)
    {
        if (detach && terminal && consoleSocket is null)
            throw new RuntimeException("cannot allocate tty if runc will detach without setting console socket");
        if ((!detach || !terminal) && consoleSocket is not null)
            throw new RuntimeException("cannot use console socket if runc will not detach or allocate tty");
        if (!terminal)
            return (null, null);
        if (consoleSocket is not null)
        {
            try
            {
                return (UnixSocket.Connect(Path.GetFullPath(consoleSocket)), null);
            }
            catch (Exception e) when (e is SyscallException or ArgumentException)
            {
                throw new RuntimeException($"console socket: {e.Message}", e);
            }
        }
        var foreground = ForegroundTerminal.Open();
        return (foreground.TakeInitEnd(), foreground);
    }
}
