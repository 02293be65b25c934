using System.Globalization;
using Strata.Cgroups;

namespace Strata.Metrics.Collectors;

/// <summary>
/// Samples one container: the cgroup's counters through Strata.Cgroups, and from /proc the tasks' states
/// (load average), their I/O, threads and descriptors, and the network namespace's interfaces, read as
/// /proc/PID/net/dev: entering the namespace (setns) from a multi-threaded process would move only the
/// calling thread and is what this avoids. Stateful (the load average and the I/O counter carry over),
/// one instance per container; not thread-safe.
/// </summary>
public sealed class ContainerCollector
{
    private readonly ContainerTarget _target;
    private readonly TimeProvider _time;
    private readonly string _proc;
    private readonly LoadAverage _load;
    private readonly ProcessIoAccounting _io = new();
    private DateTimeOffset? _nextTick;

    /// <param name="loadTick">The load average's tick: 5 s (the kernel's) unless given.</param>
    /// <param name="procRoot">/proc, or a directory laid out like it (tests).</param>
    public ContainerCollector(ContainerTarget target, TimeSpan? loadTick = null, TimeProvider? time = null, string procRoot = "/proc")
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = target;
        _time = time ?? TimeProvider.System;
        _proc = procRoot;
        _load = LoadAverage.For(loadTick ?? TimeSpan.FromSeconds(5));
    }

    public ContainerTarget Target => _target;

    /// <summary>The load average's ticks so far.</summary>
    public int LoadTicks => _load.Ticks;

    /// <summary>
    /// One sample. Whatever is gone is left out: a container that exited has no tasks and its cgroup
    /// files read as missing; a cgroup file this kernel lacks leaves its figure null.
    /// </summary>
    public ContainerSample Collect()
    {
        DateTimeOffset now = _time.GetUtcNow();
        CgroupStats? stats = TryStats();
        IReadOnlyList<int> pids = TryPids();

        int runnable = 0, blocked = 0, threads = 0, fds = 0, processes = 0;
        var readings = new List<ProcessIoAccounting.Reading>(pids.Count);
        foreach (int pid in pids)
        {
            string dir = Path.Combine(_proc, pid.ToString(CultureInfo.InvariantCulture));
            if (ProcFiles.TryParseStat(ProcFiles.TryRead(dir + "/stat")) is not { } stat)
                continue; // exited since cgroup.procs was read
            processes++;
            if (ProcFiles.TryParseIo(ProcFiles.TryRead(dir + "/io")) is { } io)
                readings.Add(new(pid, stat.StartTime, stat.ParentPid, io));
            fds += ProcFiles.CountEntries(dir + "/fd");
            foreach (int tid in ProcFiles.ListNumbers(dir + "/task"))
            {
                if (ProcFiles.TryParseStat(ProcFiles.TryRead($"{dir}/task/{tid.ToString(CultureInfo.InvariantCulture)}/stat")) is not { } task)
                    continue;
                threads++;
                // The kernel's load counts TASK_RUNNING (R) and TASK_UNINTERRUPTIBLE without TASK_NOLOAD (D; idle
                // kernel threads show I and are not counted).
                if (task.State == 'R')
                    runnable++;
                else if (task.State == 'D')
                    blocked++;
            }
        }

        _nextTick ??= now + _load.Tick;
        while (_nextTick <= now)
        {
            _load.Update(runnable + blocked);
            _nextTick += _load.Tick;
        }

        ProcessIo processIo = _io.Update(readings);
        return new ContainerSample
        {
            Timestamp = now,
            Cpu = stats?.Cpu is { } cpu ? CpuFigures.From(cpu) : null,
            Memory = stats?.Memory is { } memory ? MemoryFigures.From(memory) : null,
            Load = new LoadFigures(runnable, blocked, _load.Load1, _load.Load5, _load.Load15),
            Networks = Networks(pids),
            Io = Io(stats?.BlockIo, processIo),
            Pressure = stats?.Pressure,
            Tasks = new TaskCounts(processes, threads, fds, stats?.Pids is { Limit: var l } && l != ulong.MaxValue ? l : null),
        };
    }

    /// <summary>
    /// The cgroup's device totals when the kernel counted anything there; else (as with v1 blkio on this kind
    /// of host, which counts nothing) the processes' own figures.
    /// </summary>
    internal static IoFigures Io(BlockIoStats? block, ProcessIo processes)
    {
        IReadOnlyList<DeviceIoStats> devices = block?.Devices ?? [];
        ulong rb = 0, wb = 0, ro = 0, wo = 0;
        foreach (DeviceIoStats d in devices)
        {
            rb += d.ReadBytes;
            wb += d.WriteBytes;
            ro += d.ReadOperations;
            wo += d.WriteOperations;
        }
        return rb + wb + ro + wo > 0
            ? new IoFigures(IoSource.Cgroup, rb, wb, ro, wo, devices, processes)
            : new IoFigures(IoSource.ProcessIo, processes.ReadBytes, processes.WriteBytes, processes.ReadSyscalls, processes.WriteSyscalls, devices, processes);
    }

    /// <summary>
    /// The interfaces of the init's namespace when the init is still the process it was (same start time);
    /// else of any process left in the cgroup; none when none is left (the namespace went with them).
    /// </summary>
    private IReadOnlyList<InterfaceCounters> Networks(IReadOnlyList<int> pids)
    {
        int? pid = null;
        if (_target.Pid is { } init)
        {
            string dir = Path.Combine(_proc, init.ToString(CultureInfo.InvariantCulture));
            if (ProcFiles.TryParseStat(ProcFiles.TryRead(dir + "/stat")) is { } stat && (_target.PidStartTime is not { } start || start == stat.StartTime))
                pid = init;
        }
        pid ??= pids.Count > 0 ? pids[0] : null;
        return pid is { } p ? ProcFiles.ParseNetDev(ProcFiles.TryRead(Path.Combine(_proc, p.ToString(CultureInfo.InvariantCulture), "net/dev"))) : [];
    }

    private CgroupStats? TryStats()
    {
        // A removed cgroup's files read as missing, which would report zeroes: none is more honest.
        if (!_target.Cgroup.Paths.Values.Any(Directory.Exists))
            return null;
        try
        {
            return _target.Cgroup.GetStats();
        }
        catch (Exception e) when (e is CgroupException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private IReadOnlyList<int> TryPids()
    {
        try
        {
            return _target.Cgroup.GetPids();
        }
        catch (Exception e) when (e is CgroupException or IOException or UnauthorizedAccessException or FormatException)
        {
            // The cgroup went away while being walked.
            return [];
        }
    }
}
