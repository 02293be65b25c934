namespace Strata.Metrics.Collectors;

/// <summary>
/// A container's I/O from its processes' /proc/PID/io, as a counter that never goes backwards. A process's
/// figures include its dead threads and the children it has reaped (the kernel adds them to the parent's
/// signal struct in wait_task_zombie), so when a process vanishes:
/// <list type="bullet">
/// <item>if its parent was in the container, the parent absorbs its share when it reaps it: keeping the share
/// here too would count it twice;</item>
/// <item>else (the container's init, or an exec'd process, reaped by the monitor or runtime outside) its last
/// reading is kept.</item>
/// </list>
/// Between a child's exit and its reaping the sum can dip; the reported value is held at its maximum, so the
/// dip shows as a pause and the absorbed share resumes the count. Processes are told apart by pid and start
/// time, so a reused pid starts a new process rather than continuing an old one.
/// </summary>
public sealed class ProcessIoAccounting
{
    private Dictionary<(int Pid, ulong Start), (ProcessIo Io, int ParentPid)> _live = [];
    private ProcessIo _retained;
    private ProcessIo _reported;

    /// <summary>The processes seen in one sample.</summary>
    public readonly record struct Reading(int Pid, ulong StartTime, int ParentPid, ProcessIo Io);

    /// <summary>Folds one sample in and returns the container's cumulative figures.</summary>
    public ProcessIo Update(IReadOnlyList<Reading> readings)
    {
        ArgumentNullException.ThrowIfNull(readings);
        var next = new Dictionary<(int, ulong), (ProcessIo, int)>(readings.Count);
        var pids = new HashSet<int>();
        foreach (Reading r in readings)
        {
            next[(r.Pid, r.StartTime)] = (r.Io, r.ParentPid);
            pids.Add(r.Pid);
        }
        // A parent seen in this sample or the last one counts as in the container.
        foreach ((int pid, ulong _) in _live.Keys)
            pids.Add(pid);
        foreach (var (key, (io, parent)) in _live)
        {
            if (!next.ContainsKey(key) && !pids.Contains(parent))
                _retained += io;
        }
        ProcessIo sum = _retained;
        foreach (var (io, _) in next.Values)
            sum += io;
        _live = next;
        _reported = ProcessIo.Max(_reported, sum);
        return _reported;
    }
}
