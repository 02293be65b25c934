using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Strata.Engine.Containers;
using Strata.Linux;
using Strata.Logs;
using Strata.Oci.Runtime;
using Process = System.Diagnostics.Process;

namespace Strata.Engine.Exec;

/// <summary>
/// docker exec over the runtime: each start runs `strata-runtime exec --process FILE` in the foreground (the
/// runtime waits for the process and exits with its status), its stdio pipes or, with a terminal, the pty
/// master it sends to a console socket, copied to and from the caller's streams. Execs live in memory, as
/// dockerd's: a daemon restart forgets them (their processes go on in the container).
/// </summary>
public sealed class ExecService
{
    private readonly ConcurrentDictionary<string, ExecInstance> _execs = new(StringComparer.Ordinal);
    private readonly string _runtime;
    private readonly string _stateDir;
    private readonly string? _monitor;

    /// <param name="runtime">strata-runtime (or runc).</param>
    /// <param name="stateDir">Where process files, runtime logs and console sockets of running execs go.</param>
    /// <param name="monitor">strata-monitor, which runs execs with a terminal; null finds it as the lifecycle does.</param>
    public ExecService(string runtime, string stateDir, string? monitor = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(runtime);
        ArgumentException.ThrowIfNullOrEmpty(stateDir);
        _runtime = runtime;
        _stateDir = stateDir;
        _monitor = monitor ?? MonitorProcess.Find();
    }

    /// <summary>exec_create, exec_start, exec_die, in order per exec (the action, and for exec_die the exit code).</summary>
    public event Action<ExecInstance, string>? Events;

    /// <summary>POST /containers/{id}/exec.</summary>
    public ExecInstance Create(ExecContainer container, ExecConfig config)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(config);
        if (config.Cmd.Count == 0)
            throw new EngineException(EngineErrorCode.InvalidArgument, "No exec command specified");
        if (!container.Running)
            throw new EngineException(EngineErrorCode.Conflict, $"container {container.Id} is not running");
        // The runtime hands a terminal's master to a console socket only with --detach (as runc), and then only
        // the process's subreaper learns its exit status: strata-monitor runs it (as conmon runs podman's).
        if (config.Tty && _monitor is null)
            throw new EngineException(EngineErrorCode.InvalidArgument, "exec with a terminal (-t) needs strata-monitor, which was not found");
        var exec = new ExecInstance(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), container.Id, config);
        _execs[exec.Id] = exec;
        Publish(exec, "exec_create: " + string.Join(' ', config.Cmd));
        return exec;
    }

    /// <summary>By its full id (dockerd's exec store does not take prefixes or names); null when unknown.</summary>
    public ExecInstance? Find(string id) => _execs.TryGetValue(id, out var exec) ? exec : null;

    /// <summary>The execs of a container that is gone.</summary>
    public void Forget(string containerId)
    {
        foreach (var (id, exec) in _execs)
        {
            if (exec.ContainerId == containerId && !exec.Running)
                _execs.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// POST /exec/{id}/start: runs the process and copies its streams until it has exited and its output is
    /// drained. <paramref name="output"/> null is a detached start (output discarded, returns once it runs).
    /// A caller that goes away (<paramref name="cancellationToken"/>) stops the copying, not the process.
    /// A process the runtime could not start is reported in the output, as dockerd writes the error into
    /// the hijacked stream, and ends with exit code 126.
    /// </summary>
    public async Task StartAsync(ExecInstance exec, ExecContainer container, Stream? stdin, ExecOutput? output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exec);
        ArgumentNullException.ThrowIfNull(container);
        lock (exec)
        {
            if (exec.Started)
                throw new EngineException(EngineErrorCode.Conflict, exec.Running ? $"Exec command {exec.Id} is already running" : $"Exec command {exec.Id} has already run");
            if (!container.Running)
                throw new EngineException(EngineErrorCode.Conflict, $"container {container.Id} is not running");
            exec.Started = true;
            exec.Running = true;
        }
        Directory.CreateDirectory(_stateDir);
        var processFile = Path.Combine(_stateDir, exec.Id + ".json");
        var logFile = Path.Combine(_stateDir, exec.Id + ".log");
        var pidFile = Path.Combine(_stateDir, exec.Id + ".pid");
        if (exec.Config.Tty)
        {
            await StartTerminalAsync(exec, container, stdin, output, processFile, logFile, pidFile, cancellationToken).ConfigureAwait(false);
            return;
        }
        // Console sockets need a short path (sun_path is 108 bytes): the temporary directory, not the root.
        var consolePath = Path.Combine(Path.GetTempPath(), $"strata-exec-{exec.Id[..16]}.sock");
        SafeFileHandle? listener = null;
        Process? runtime = null;
        try
        {
            File.WriteAllBytes(processFile, ProcessJson(exec, container));
            var info = new ProcessStartInfo(_runtime)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in (string[])["--root", container.RuntimeRoot, "--log", logFile, "--log-format", "json", "exec", "--process", processFile, "--pid-file", pidFile])
                info.ArgumentList.Add(a);
            if (exec.Config.Tty)
            {
                File.Delete(consolePath);
                listener = UnixSocket.Listen(consolePath);
                info.ArgumentList.Add("--tty");
                info.ArgumentList.Add("--console-socket");
                info.ArgumentList.Add(consolePath);
            }
            info.ArgumentList.Add(container.Id);
            runtime = Process.Start(info) ?? throw new EngineException(EngineErrorCode.Unknown, $"could not start {_runtime}");
            Publish(exec, "exec_start: " + string.Join(' ', exec.Config.Cmd));
        }
        catch
        {
            listener?.Dispose();
            File.Delete(consolePath);
            Finish(exec, 126, processFile, logFile, pidFile);
            runtime?.Dispose();
            throw;
        }
        var copying = output is null ? CancellationToken.None : cancellationToken;
        var run = Task.Run(() => RunAsync(exec, runtime, listener, consolePath, stdin, output, processFile, logFile, pidFile, copying), CancellationToken.None);
        if (output is null)
            return; // detached: the process runs on, its exit recorded by the task
        await run.ConfigureAwait(false);
    }

    private async Task RunAsync(ExecInstance exec, Process runtime, SafeFileHandle? listener, string consolePath, Stream? stdin, ExecOutput? output,
        string processFile, string logFile, string pidFile, CancellationToken cancellationToken)
    {
        using var sink = new Sink(output, cancellationToken);
        SafeFileHandle? master = null;
        var exitCode = 126;
        try
        {
            Task copyOut;
            Task? copyIn = null;
            if (listener is not null)
            {
                master = await AcceptMasterAsync(listener, runtime).ConfigureAwait(false);
                File.Delete(consolePath);
                runtime.StandardInput.Close();
                if (master is not null)
                {
                    exec.SetMaster(master);
                    copyOut = Task.Factory.StartNew(() => CopyMaster(master, sink), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
                    if (stdin is not null && exec.Config.AttachStdin)
                        copyIn = CopyStdinAsync(stdin, data => Sys.WriteAll(master, data.Span), close: null, cancellationToken);
                }
                else
                {
                    copyOut = Task.CompletedTask;
                }
                // The runtime writes nothing of the process's to its own stdio with a terminal; drain it all the same.
                _ = runtime.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                _ = runtime.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
            }
            else
            {
                copyOut = Task.WhenAll(
                    CopyAsync(runtime.StandardOutput.BaseStream, StdStream.Stdout, sink),
                    CopyAsync(runtime.StandardError.BaseStream, StdStream.Stderr, sink));
                if (stdin is not null && exec.Config.AttachStdin)
                {
                    var input = runtime.StandardInput.BaseStream;
                    copyIn = CopyStdinAsync(stdin, data => input.Write(data.Span), close: runtime.StandardInput.Close, cancellationToken);
                }
                else
                {
                    runtime.StandardInput.Close();
                }
            }
            _ = ReadPidAsync(exec, pidFile, runtime);
            await runtime.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            exitCode = runtime.ExitCode;
            // A terminal's master reads EIO once the last slave is closed; a process that left a child holding it
            // keeps it open, so it is not waited for once the runtime (and so the exec's process) has gone.
            if (master is null)
                await copyOut.ConfigureAwait(false);
            else
                await Task.WhenAny(copyOut, Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None)).ConfigureAwait(false);
            if (RuntimeError(logFile) is { } error && exitCode != 0)
            {
                exitCode = 126;
                await sink.WriteAsync(StdStream.Stdout, Encoding.UTF8.GetBytes($"OCI runtime exec failed: {error}: unknown\r\n")).ConfigureAwait(false);
            }
            _ = copyIn;
        }
        catch (Exception e) when (e is IOException or SyscallException or InvalidOperationException)
        {
            await sink.WriteAsync(StdStream.Stdout, Encoding.UTF8.GetBytes($"OCI runtime exec failed: {e.Message}: unknown\r\n")).ConfigureAwait(false);
        }
        finally
        {
            exec.SetMaster(null);
            master?.Dispose();
            listener?.Dispose();
            File.Delete(consolePath);
            runtime.Dispose();
            Finish(exec, exitCode, processFile, logFile, pidFile);
        }
    }

    /// <summary>
    /// An exec with a terminal, under strata-monitor --exec: the monitor runs the runtime's exec --detach as the
    /// process's subreaper, sends the master with its report ("ok PID") and the exit code once it has reaped the
    /// process ("exit CODE"); the daemon copies the master to and from the caller and sizes it.
    /// </summary>
    private async Task StartTerminalAsync(ExecInstance exec, ExecContainer container, Stream? stdin, ExecOutput? output,
        string processFile, string logFile, string pidFile, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(_stateDir, exec.Id);
        SafeFileHandle? sync = null;
        int monitorPid;
        try
        {
            File.WriteAllBytes(processFile, ProcessJson(exec, container));
            Directory.CreateDirectory(dir);
            List<string> argv = [_monitor!, "--exec", "--tty", "--runtime", _runtime, "--runtime-root", container.RuntimeRoot, "--id", container.Id,
                "--process", processFile, "--dir", dir, "--sync-fd", "3"];
            var env = new List<string>();
            foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
                env.Add($"{e.Key}={e.Value}");
            (sync, var child) = Sys.SocketPair();
            using (child)
            using (var devNull = Sys.Open("/dev/null", OpenFlags.ReadWrite))
                monitorPid = Sys.Spawn(_monitor!, argv, env, [(devNull, 0), (devNull, 1), (devNull, 2), (child, 3)]);
            Publish(exec, "exec_start: " + string.Join(' ', exec.Config.Cmd));
        }
        catch (Exception e) when (e is IOException or SyscallException or UnauthorizedAccessException)
        {
            sync?.Dispose();
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
            Finish(exec, 126, processFile, logFile, pidFile);
            throw new EngineException(EngineErrorCode.Unknown, $"could not start {_monitor}: {e.Message}", e);
        }
        var copying = output is null ? CancellationToken.None : cancellationToken;
        var run = Task.Run(() => RunTerminalAsync(exec, sync, monitorPid, dir, stdin, output, processFile, logFile, pidFile, copying), CancellationToken.None);
        if (output is null)
            return;
        await run.ConfigureAwait(false);
    }

    private async Task RunTerminalAsync(ExecInstance exec, SafeFileHandle sync, int monitorPid, string dir, Stream? stdin, ExecOutput? output,
        string processFile, string logFile, string pidFile, CancellationToken cancellationToken)
    {
        using var sink = new Sink(output, cancellationToken);
        SafeFileHandle? master = null;
        var exitCode = 126;
        try
        {
            (master, var report) = await Task.Factory.StartNew(() => UnixSocket.ReceiveFd(sync), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            report = report.Trim();
            if (!report.StartsWith("ok ", StringComparison.Ordinal) || !int.TryParse(report.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                var error = report.StartsWith("error ", StringComparison.Ordinal) ? report[6..] : report;
                await sink.WriteAsync(StdStream.Stdout, Encoding.UTF8.GetBytes($"OCI runtime exec failed: {error}: unknown\r\n")).ConfigureAwait(false);
                return;
            }
            exec.Pid = pid;
            exec.SetMaster(master);
            var copyOut = Task.Factory.StartNew(() => CopyMaster(master, sink), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            if (stdin is not null && exec.Config.AttachStdin)
                _ = CopyStdinAsync(stdin, data => Sys.WriteAll(master, data.Span), close: null, cancellationToken);
            var line = await Task.Factory.StartNew(() => ReadLine(sync), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            // No "exit" line: the monitor was killed; the process's status is lost with it.
            exitCode = line.StartsWith("exit ", StringComparison.Ordinal) && int.TryParse(line.AsSpan(5).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : 255;
            // A process that left a child holding the terminal keeps it open: not waited for once the process has gone.
            await Task.WhenAny(copyOut, Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SyscallException or InvalidOperationException)
        {
            await sink.WriteAsync(StdStream.Stdout, Encoding.UTF8.GetBytes($"OCI runtime exec failed: {e.Message}: unknown\r\n")).ConfigureAwait(false);
        }
        finally
        {
            exec.SetMaster(null);
            master?.Dispose();
            sync.Dispose();
            await Task.Factory.StartNew(() => MonitorProcess.Reap(monitorPid, wait: true), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
            Finish(exec, exitCode, processFile, logFile, pidFile);
        }
    }

    /// <summary>One line from the monitor ("exit CODE"), or what came before it hung up.</summary>
    private static string ReadLine(SafeFileHandle socket)
    {
        var buffer = new byte[256];
        var text = new StringBuilder();
        try
        {
            int n;
            while (!text.ToString().Contains('\n', StringComparison.Ordinal) && (n = Sys.Read(socket, buffer)) > 0)
                text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        catch (SyscallException)
        {
        }
        return text.ToString().Trim();
    }

    private void Finish(ExecInstance exec, int exitCode, string processFile, string logFile, string pidFile)
    {
        exec.ExitCode = exitCode;
        exec.Running = false;
        foreach (var f in new[] { processFile, logFile, pidFile })
            File.Delete(f);
        Publish(exec, "exec_die", exitCode);
    }

    /// <summary>The container's process (env, cwd, user, capabilities, rlimits…) with the exec's command, env, cwd, user and terminal.</summary>
    private static byte[] ProcessJson(ExecInstance exec, ExecContainer container)
    {
        var spec = SpecLoader.LoadFromBundle(container.Bundle);
        var process = spec.Process ?? new Strata.Oci.Runtime.Process();
        var config = exec.Config;
        process.Args = [.. config.Cmd];
        process.Terminal = config.Tty;
        process.ConsoleSize = config.Tty && config.ConsoleSize is { Rows: > 0, Columns: > 0 } size ? new Box { Height = size.Rows, Width = size.Columns } : null;
        var env = new List<string>(process.Env ?? []);
        foreach (var entry in config.Env)
        {
            var name = entry.Split('=', 2)[0];
            env.RemoveAll(e => e.Split('=', 2)[0] == name);
            env.Add(entry);
        }
        process.Env = env;
        if (config.WorkingDir.Length > 0)
            process.Cwd = config.WorkingDir;
        if (config.User.Length > 0)
        {
            var rootfs = Path.IsPathRooted(spec.Root?.Path ?? "rootfs") ? spec.Root!.Path : Path.Combine(container.Bundle, spec.Root?.Path ?? "rootfs");
            var (uid, gid) = BundleSpec.ResolveUser(config.User, rootfs);
            // The container's umask (HostConfig.Umask) holds for its execs and health checks whatever their user.
            process.User = new User { Uid = uid, Gid = gid, Umask = process.User?.Umask };
        }
        if (config.Privileged)
        {
            var all = Capabilities.All.Take(Capabilities.LastCapability + 1).ToList();
            process.Capabilities = new LinuxCapabilities { Bounding = [.. all], Effective = [.. all], Permitted = [.. all] };
        }
        return JsonSerializer.SerializeToUtf8Bytes(process, RuntimeJsonContext.Default.Process);
    }

    /// <summary>The message of the runtime log's last error, if any (the runtime's own failure, not the process's).</summary>
    private static string? RuntimeError(string logFile)
    {
        string? message = null;
        if (!File.Exists(logFile))
            return null;
        foreach (var line in File.ReadLines(logFile))
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
        return message;
    }

    private static async Task<SafeFileHandle?> AcceptMasterAsync(SafeFileHandle listener, Process runtime)
    {
        return await Task.Factory.StartNew(() =>
        {
            // The runtime connects once the exec's init has made the terminal; a runtime that failed first never does.
            while (true)
            {
                using var connection = UnixSocket.Accept(listener, 100);
                if (connection is not null)
                    return UnixSocket.ReceiveFd(connection).Fd;
                if (runtime.HasExited)
                    return null;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }

    private static async Task ReadPidAsync(ExecInstance exec, string pidFile, Process runtime)
    {
        while (!runtime.HasExited && exec.Pid == 0)
        {
            try
            {
                if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile).ConfigureAwait(false)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    exec.Pid = pid;
                    return;
                }
            }
            catch (IOException)
            {
            }
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    private static async Task CopyAsync(Stream from, StdStream stream, Sink sink)
    {
        var buffer = new byte[32 * 1024];
        int n;
        while ((n = await from.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
            await sink.WriteAsync(stream, buffer.AsMemory(0, n)).ConfigureAwait(false);
    }

    private static void CopyMaster(SafeFileHandle master, Sink sink)
    {
        var buffer = new byte[32 * 1024];
        while (true)
        {
            int n;
            try
            {
                n = Sys.Read(master, buffer);
            }
            catch (SyscallException)
            {
                return; // EIO: the last slave is closed
            }
            if (n <= 0)
                return;
            sink.WriteAsync(StdStream.Stdout, buffer.AsMemory(0, n)).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The caller's stdin into the process until the caller closes it (or goes); then the process's stdin is closed.</summary>
    private static async Task CopyStdinAsync(Stream stdin, Action<ReadOnlyMemory<byte>> write, Action? close, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stdin.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                write(buffer.AsMemory(0, n));
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SyscallException or ObjectDisposedException)
        {
        }
        finally
        {
            try
            {
                close?.Invoke();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
            }
        }
    }

    private void Publish(ExecInstance exec, string action, int? exitCode = null)
    {
        _ = exitCode;
        Events?.Invoke(exec, action);
    }

    /// <summary>The caller's output; once a write fails (the caller went away) the rest is discarded, so the process never blocks on it.</summary>
    private sealed class Sink(ExecOutput? output, CancellationToken cancellationToken) : IDisposable
    {
        private readonly SemaphoreSlim _one = new(1, 1);
        private volatile bool _gone = output is null;

        /// <summary>After the exec: a terminal copier that outlived it writes nothing more.</summary>
        public void Dispose()
        {
            _gone = true;
            _one.Dispose();
        }

        public async ValueTask WriteAsync(StdStream stream, ReadOnlyMemory<byte> data)
        {
            if (_gone)
                return;
            try
            {
                await _one.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            try
            {
                if (!_gone && !cancellationToken.IsCancellationRequested)
                    await output!(stream, data, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                _gone = true;
            }
            finally
            {
                try
                {
                    _one.Release();
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }
    }
}
