using System.Runtime.InteropServices;
using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Strata.Linux;
using Strata.Logs;

namespace Strata.Monitor;

/// <summary>
/// strata-monitor: one per running container, as conmon or containerd-shim. It runs the runtime's create
/// with the container's stdio, which it holds; reports the init's pid (or the runtime's error) to the engine on
/// the sync fd; copies the container's output into its log; as child subreaper it reaps the init, writes the
/// exit file, deletes the runtime's container and exits. It outlives the engine: a new session, stdio
/// /dev/null, nothing shared with the daemon but the files under the container's directory.
/// </summary>
public static class Program
{
    /// <summary>How long output is still copied after the init has exited, for a process it left behind holding the pipes.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    public static int Main(string[] args)
    {
        MonitorOptions options;
        try
        {
            options = MonitorOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"strata-monitor: {e.Message}");
            return 2;
        }
        using var sync = new SafeFileHandle(options.SyncFd, ownsHandle: true);
        Sys.SetCloseOnExec(options.SyncFd, true);
        try
        {
            return options.Exec ? RunExec(options, sync) : Run(options, sync);
        }
        catch (Exception e) when (e is SyscallException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            Report(sync, "error " + e.Message);
            return 1;
        }
    }

    private static int Run(MonitorOptions o, SafeFileHandle sync)
    {
        _ = Sys.Setsid();
        // The runtime's create exits once the container is created; its init is re-parented to us.
        Sys.SetChildSubreaper();
        File.Delete(o.PidFile);
        File.Delete(o.ExitFile);
        File.Delete(o.RuntimeLog);
        using var log = new JsonLogWriter(o.LogPath, new LogFileOptions { MaxSize = o.LogMaxSize, MaxFiles = o.LogMaxFile });
        using var io = ContainerIo.Prepare(log, o.Tty, o.Stdin, ConsoleSocketPath());
        List<string> create = ["create", "--bundle", o.Bundle, "--pid-file", o.PidFile];
        if (io.ConsoleSocket is { } console)
        {
            create.AddRange(["--console-socket", console]);
        }
        create.Add(o.Id);
        var status = RunRuntime(o, create, io.RuntimeStdio());
        if (status.ShellExitCode != 0)
        {
            Report(sync, "error " + RuntimeError(o.RuntimeLog, status));
            return 1;
        }
        int initPid;
        AttachServer attach;
        try
        {
            initPid = int.Parse(File.ReadAllText(o.PidFile).Trim(), CultureInfo.InvariantCulture);
            io.AfterCreate();
            // Listening before the report: an attach made as soon as the engine has started the container
            // (docker run's, start -a's) sees all of the program's output.
            attach = new AttachServer(o.Dir, io.StdinWrite, io.Master, o.StdinOnce);
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidOperationException or SyscallException or ArgumentException)
        {
            Report(sync, "error " + e.Message);
            RunRuntime(o, ["delete", "--force", o.Id], io.RuntimeStdio());
            return 1;
        }
        using (attach)
        {
            io.Attach = attach;
            attach.Start();
            // Copying starts before the engine's start lets the program run, so none of its output is lost.
            io.StartCopying();
            Report(sync, "ok " + initPid.ToString(CultureInfo.InvariantCulture));

            var exitCode = WaitForInit(initPid);
            var finished = DateTime.UtcNow;
            io.Drain(DrainTimeout);
            ExitFile.Write(o.ExitFile, exitCode, finished, oomKilled: false);
            // Attached clients get what is queued, then their connection closes: their output has ended.
            attach.Close(DrainTimeout);
            io.CloseMaster();
        }
        // The engine's `start` may still be finishing (removing the exec fifo) when a short-lived program has
        // already exited: the runtime's container is deleted only once the engine hangs up (or is gone).
        WaitForHangUp(sync);
        RunRuntime(o, ["delete", "--force", o.Id], io.RuntimeStdio());
        return 0;
    }

    /// <summary>
    /// An exec with a terminal: the runtime gives the master to a console socket only with --detach, so the
    /// monitor runs it detached as the process's subreaper. The master goes to the engine with the report
    /// ("ok PID"), the exit status follows as "exit CODE" once the process is reaped (and in the exit file).
    /// </summary>
    private static int RunExec(MonitorOptions o, SafeFileHandle sync)
    {
        _ = Sys.Setsid();
        Sys.SetChildSubreaper();
        Directory.CreateDirectory(o.Dir);
        File.Delete(o.PidFile);
        File.Delete(o.ExitFile);
        File.Delete(o.RuntimeLog);
        using var io = ContainerIo.Prepare(log: null, tty: true, stdin: false, ConsoleSocketPath());
        var status = RunRuntime(o, ["exec", "--detach", "--tty", "--console-socket", io.ConsoleSocket!, "--process", o.ProcessFile, "--pid-file", o.PidFile, o.Id], io.RuntimeStdio());
        if (status.ShellExitCode != 0)
        {
            ReportWithFd(sync, "error " + RuntimeError(o.RuntimeLog, status), null);
            return 1;
        }
        int pid;
        try
        {
            pid = int.Parse(File.ReadAllText(o.PidFile).Trim(), CultureInfo.InvariantCulture);
            io.AfterCreate();
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidOperationException or SyscallException)
        {
            ReportWithFd(sync, "error " + e.Message, null);
            return 1;
        }
        ReportWithFd(sync, "ok " + pid.ToString(CultureInfo.InvariantCulture), io.Master);
        var exitCode = WaitForInit(pid);
        ExitFile.Write(o.ExitFile, exitCode, DateTime.UtcNow, oomKilled: false);
        Report(sync, "exit " + exitCode.ToString(CultureInfo.InvariantCulture));
        io.CloseMaster();
        return 0;
    }

    /// <summary>Console sockets need a short path (sun_path is 108 bytes): the temporary directory.</summary>
    private static string ConsoleSocketPath() =>
        Path.Combine(Path.GetTempPath(), $"strata-monitor-{System.Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.sock");

    /// <summary>The report as one message with a descriptor (the master; /dev/null with an error), so the engine reads both at once.</summary>
    private static void ReportWithFd(SafeFileHandle sync, string line, SafeFileHandle? fd)
    {
        try
        {
            using var devNull = fd is null ? Sys.Open("/dev/null", OpenFlags.ReadOnly) : null;
            UnixSocket.SendFd(sync, line.ReplaceLineEndings(" ") + "\n", fd ?? devNull!);
        }
        catch (SyscallException)
        {
            // The engine is gone; the exit file still records the outcome.
        }
    }

    /// <summary>Reaps children (the init and whatever else was re-parented to us) until the init is among them.</summary>
    private static int WaitForInit(int initPid)
    {
        while (true)
        {
            WaitStatus? status;
            try
            {
                status = Sys.WaitPid(-1);
            }
            catch (SyscallException e) when (e.Errno == Errno.ECHILD)
            {
                // Not our descendant after all: wait for it to go, without its status.
                using var pidfd = Pidfd.TryOpen(initPid);
                if (pidfd is not null)
                    Pidfd.WaitExited(pidfd, -1);
                return 255;
            }
            if (status is { } s && s.Pid == initPid && (s.Exited || s.Signaled))
                return s.ShellExitCode;
        }
    }

    private static WaitStatus RunRuntime(MonitorOptions o, IEnumerable<string> command, IReadOnlyList<(SafeHandle From, int To)> stdio)
    {
        List<string> argv = [o.Runtime, "--root", o.RuntimeRoot, "--log", o.RuntimeLog, "--log-format", "json", .. command];
        var pid = Sys.Spawn(o.Runtime, argv, CurrentEnvironment(), stdio);
        while (true)
        {
            if (Sys.WaitPid(pid) is { } s && s.Pid == pid && (s.Exited || s.Signaled))
                return s;
        }
    }

    private static List<string> CurrentEnvironment()
    {
        var env = new List<string>();
        foreach (DictionaryEntry e in System.Environment.GetEnvironmentVariables())
            env.Add($"{e.Key}={e.Value}");
        return env;
    }

    /// <summary>The "msg" of the runtime log's last error line, as containerd's shim reports a failed create.</summary>
    private static string RuntimeError(string runtimeLog, WaitStatus status)
    {
        string? message = null;
        if (File.Exists(runtimeLog))
        {
            foreach (var line in File.ReadLines(runtimeLog))
            {
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    if (doc.RootElement.TryGetProperty("level", out var level) && level.GetString() == "error"
                        && doc.RootElement.TryGetProperty("msg", out var msg))
                        message = msg.GetString();
                }
                catch (JsonException)
                {
                }
            }
        }
        return message ?? $"the runtime's create exited with status {status.ShellExitCode.ToString(CultureInfo.InvariantCulture)}";
    }

    private static void WaitForHangUp(SafeFileHandle sync)
    {
        var buffer = new byte[64];
        try
        {
            while (Sys.Read(sync, buffer) > 0)
            {
            }
        }
        catch (SyscallException)
        {
        }
        sync.Dispose();
    }

    private static void Report(SafeFileHandle sync, string line)
    {
        if (sync.IsClosed)
            return;
        try
        {
            Sys.WriteAll(sync, Encoding.UTF8.GetBytes(line.ReplaceLineEndings(" ") + "\n"));
        }
        catch (SyscallException)
        {
            // The engine is gone; the exit file still records the outcome.
        }
    }
}
