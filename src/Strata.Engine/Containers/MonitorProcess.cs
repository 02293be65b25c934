using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Strata.Linux;

namespace Strata.Engine.Containers;

/// <summary>How a container ended, from the monitor's exit file (ROOT/containers/ID/exit.json).</summary>
public sealed record ExitStatus(int ExitCode, DateTimeOffset FinishedAt, bool OomKilled)
{
    public const string FileName = "exit.json";

    public static ExitStatus? TryRead(string containerDir)
    {
        var path = Path.Combine(containerDir, FileName);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            return new ExitStatus(
                root.GetProperty(nameof(ExitCode)).GetInt32(),
                DateTimeOffset.Parse(root.GetProperty(nameof(FinishedAt)).GetString()!, CultureInfo.InvariantCulture),
                root.TryGetProperty("OOMKilled", out var oom) && oom.GetBoolean());
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }
}

/// <summary>The init's pid the monitor reported, and the monitor itself (pid and start time, so a reused pid is never taken for it).</summary>
/// <param name="Sync">The engine's end of the sync socket: the monitor deletes the runtime's container only after it is closed (after the runtime's start).</param>
public sealed record MonitorHandle(int MonitorPid, ulong MonitorStartTime, int InitPid, ulong InitStartTime, Microsoft.Win32.SafeHandles.SafeFileHandle Sync) : IDisposable
{
    public void Dispose() => Sync.Dispose();
}

/// <summary>
/// Starts strata-monitor for one start of a container (src/Strata.Monitor): detached (it makes its own
/// session; stdio /dev/null), with one end of a socket pair as fd 3 on which it reports "ok PID" once the
/// runtime has created the container, or "error MESSAGE".
/// </summary>
internal static class MonitorProcess
{
    /// <summary>Finds strata-monitor as the runtime is found: $STRATA_MONITOR, next to the executable, artifacts/bin above it, $PATH.</summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("STRATA_MONITOR") is { Length: > 0 } env)
        {
            return env;
        }
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, "strata-monitor") };
        if (ContainerService.FindRuntime() is { } runtime)
        {
            candidates.Add(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(runtime))!, "strata-monitor"));
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, "artifacts", "bin", "strata-monitor"));
        }
        foreach (var p in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            candidates.Add(Path.Combine(p, "strata-monitor"));
        }
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>Spawns the monitor and waits for its report; the runtime's error (or the monitor's) as an <see cref="EngineException"/>.</summary>
    /// <param name="io">The container's stdio and log options: --tty, --stdin, --stdin-once, --log-max-size, --log-max-file.</param>
    public static async Task<MonitorHandle> StartAsync(string monitor, string runtime, string runtimeRoot, string id, string bundle, string dir, string logPath, IEnumerable<string> io, CancellationToken cancellationToken)
    {
        List<string> argv = [monitor, "--runtime", runtime, "--runtime-root", runtimeRoot, "--id", id, "--bundle", bundle, "--dir", dir, "--log-path", logPath, "--sync-fd", "3", .. io];
        var env = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            env.Add($"{e.Key}={e.Value}");
        }
        var (parent, child) = Sys.SocketPair();
        int pid;
        var handedOver = false;
        try
        {
            using (var devNull = Sys.Open("/dev/null", OpenFlags.ReadWrite))
            using (child)
            {
                pid = Sys.Spawn(monitor, argv, env, [(devNull, 0), (devNull, 1), (devNull, 2), (child, 3)]);
            }
            var start = ProcStat.TryRead(pid)?.StartTime ?? 0;
            // The report comes once the runtime's create has finished; EOF without one means the monitor died.
            var report = await Task.Factory.StartNew(() => ReadLine(parent), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            if (report.StartsWith("ok ", StringComparison.Ordinal)
                && int.TryParse(report.AsSpan(3).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var initPid))
            {
                handedOver = true;
                return new MonitorHandle(pid, start, initPid, ProcStat.TryRead(initPid)?.StartTime ?? 0, parent);
            }
            // The monitor exits after a failed create: reap it.
            Reap(pid, wait: true);
            var message = report.StartsWith("error ", StringComparison.Ordinal) ? report[6..].Trim()
                : report.Length == 0 ? "the container's monitor exited without reporting" : report.Trim();
            throw new EngineException(EngineErrorCode.Unknown, message);
        }
        finally
        {
            if (!handedOver)
            {
                parent.Dispose();
            }
        }
    }

    /// <summary>Collects an exited monitor that is our child (one adopted after a restart is not: ECHILD).</summary>
    public static void Reap(int pid, bool wait = false)
    {
        try
        {
            _ = Sys.WaitPid(pid, noHang: !wait);
        }
        catch (SyscallException e) when (e.Errno == Errno.ECHILD)
        {
        }
    }

    /// <summary>Whether the monitor a record names still runs (same pid, same start time, not a zombie).</summary>
    public static bool IsAlive(int pid, ulong startTime) =>
        ProcStat.TryRead(pid) is { } stat && !stat.IsZombieOrDead && stat.StartTime == startTime;

    /// <summary>One line (the monitor's report), or what came before end of file.</summary>
    private static string ReadLine(Microsoft.Win32.SafeHandles.SafeFileHandle socket)
    {
        var buffer = new byte[4096];
        var text = new StringBuilder();
        while (true)
        {
            var n = Sys.Read(socket, buffer);
            if (n <= 0)
            {
                return text.ToString();
            }
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
            if (text.ToString().Contains('\n', StringComparison.Ordinal))
            {
                return text.ToString();
            }
        }
    }
}
