using System.Text;
using Strata.Engine.Containers;
using Strata.Engine.Exec;
using Strata.Images;
using Strata.Linux;
using Strata.Logs;

namespace Strata.Engine.Tests.Exec;

/// <summary>
/// docker exec's engine side against a real container (strata-runtime, the host's static busybox, its applets
/// called through it): output per
/// stream, exit codes, stdin, env, cwd and user, a program that does not exist, a stopped container, a caller that goes away.
/// Root only.
/// </summary>
public sealed class ExecServiceTests : IAsyncLifetime, IDisposable
{
    private const string ImageRef = "docker.io/library/exec-test:1";

    private readonly TempDir _temp = new();
    private ImageService? _images;
    private ContainerService? _service;
    private Task<int>? _run;
    private ExecContainer _container = null!;
    private ExecService _execs = null!;
    private string _runtime = "";

    public async Task InitializeAsync()
    {
        if (Sys.EffectiveUserId != 0 || !File.Exists("/bin/busybox") || ContainerService.FindRuntime() is not { } runtime || !File.Exists(runtime))
            return;
        _runtime = runtime;
        _images = new ImageService(new ImageServiceOptions { Root = _temp.Path });
        TestImages.WriteBusybox(_images, ImageRef);
        _service = new ContainerService(_images, runtime);
        _run = _service.RunAsync(new RunOptions { Image = ImageRef, Name = "target", Command = ["/bin/busybox", "sleep", "1000"] });
        EngineContainer? running = null;
        for (var i = 0; i < 600 && running is null && !_run.IsCompleted; i++)
        {
            // Recorded as running, and started by the runtime (its state written, its exec.fifo gone).
            running = _service.List().FirstOrDefault(c => c.Name == "target" && c.State == ContainerState.Running
                && File.Exists(Path.Combine(_service.RuntimeRoot, c.Id, "state.json")) && !File.Exists(Path.Combine(_service.RuntimeRoot, c.Id, "exec.fifo")));
            if (running is null)
                await Task.Delay(100);
        }
        Assert.True(running is not null, "the container never ran: " + (_run.IsCompleted ? $"exit {await _run}" : "timed out"));
        _container = new ExecContainer(running.Id, running.Name, ImageRef, Path.Combine(_temp.Path, "containers", running.Id, "bundle"), _service.RuntimeRoot, Running: true);
        _execs = new ExecService(runtime, Path.Combine(_temp.Path, "exec"));
    }

    public async Task DisposeAsync()
    {
        if (_service is not null && _run is not null)
        {
            using (var kill = System.Diagnostics.Process.Start(_runtime, ["--root", _service.RuntimeRoot, "kill", _container.Id, "KILL"]))
                await kill.WaitForExitAsync();
            await _run.WaitAsync(TimeSpan.FromMinutes(1));
            _service.Remove("target", force: true);
        }
        Dispose();
    }

    public void Dispose()
    {
        _service?.Dispose();
        _images?.Dispose();
        _temp.Dispose();
    }

    private void RequireContainer() =>
        Skip.If(_service is null, "exec needs root, /bin/busybox and strata-runtime (publish it to artifacts/bin or set STRATA_RUNTIME)");

    private async Task<(string Stdout, string Stderr, ExecInstance Exec)> RunAsync(ExecConfig config, Stream? stdin = null)
    {
        var exec = _execs.Create(_container, config);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        await _execs.StartAsync(exec, _container, stdin, (stream, data, _) =>
        {
            lock (stdout)
                (stream == StdStream.Stderr ? stderr : stdout).Append(Encoding.UTF8.GetString(data.Span));
            return ValueTask.CompletedTask;
        }, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));
        return (stdout.ToString(), stderr.ToString(), exec);
    }

    [SkippableFact]
    public async Task Start_NoTerminal_StreamsApartAndExitCode()
    {
        RequireContainer();
        var events = new List<string>();
        _execs.Events += (_, action) => events.Add(action);
        var (stdout, stderr, exec) = await RunAsync(new ExecConfig { Cmd = ["sh", "-c", "echo out; echo err >&2; exit 3"], AttachStdout = true, AttachStderr = true });
        Assert.Equal("out\n", stdout);
        Assert.Equal("err\n", stderr);
        Assert.Equal(3, exec.ExitCode);
        Assert.False(exec.Running);
        Assert.Equal(["exec_create: sh -c echo out; echo err >&2; exit 3", "exec_start: sh -c echo out; echo err >&2; exit 3", "exec_die"], events);
        var again = await Assert.ThrowsAsync<EngineException>(() => _execs.StartAsync(exec, _container, null, null, CancellationToken.None));
        Assert.Equal(EngineErrorCode.Conflict, again.Code);
    }

    [SkippableFact]
    public async Task Start_Stdin_ReachesTheProcessAndItsEndClosesIt()
    {
        RequireContainer();
        var (stdout, _, exec) = await RunAsync(new ExecConfig { Cmd = ["/bin/busybox", "cat"], AttachStdin = true, AttachStdout = true }, new MemoryStream(Encoding.UTF8.GetBytes("hello\nworld\n")));
        Assert.Equal("hello\nworld\n", stdout);
        Assert.Equal(0, exec.ExitCode);
    }

    [SkippableFact]
    public async Task Start_Terminal_UnderTheMonitor_OneStreamSizeInputAndExitCode()
    {
        RequireContainer();
        var monitor = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_runtime))!, "strata-monitor");
        Skip.IfNot(File.Exists(monitor), "strata-monitor is not built (dotnet publish src/Strata.Monitor -o artifacts/bin)");
        var execs = new ExecService(_runtime, Path.Combine(_temp.Path, "exec"), monitor);
        var exec = execs.Create(_container, new ExecConfig
        {
            Cmd = ["sh", "-c", "busybox stty size; echo err >&2; read x; echo got $x; exit 7"],
            Tty = true,
            AttachStdin = true,
            AttachStdout = true,
            ConsoleSize = new WindowSizeRequest(12, 34),
        });
        var output = new StringBuilder();
        var streams = new HashSet<StdStream>();
        await execs.StartAsync(exec, _container, new MemoryStream(Encoding.UTF8.GetBytes("hi\n")), (stream, data, _) =>
        {
            lock (output)
            {
                streams.Add(stream);
                output.Append(Encoding.UTF8.GetString(data.Span));
            }
            return ValueTask.CompletedTask;
        }, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal([StdStream.Stdout], streams);
        // The terminal echoes the input whenever it comes: the lines' order is the terminal's.
        Assert.Equal(["12 34", "err", "got hi", "hi"], output.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Assert.Equal(7, exec.ExitCode);
        Assert.False(exec.Running);
        Assert.True(exec.Pid > 0);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_temp.Path, "exec")));
    }

    [SkippableFact]
    public async Task Start_EnvWorkingDirUser_AsAsked()
    {
        RequireContainer();
        var (stdout, _, _) = await RunAsync(new ExecConfig { Cmd = ["sh", "-c", "echo $FOO $(pwd) $(busybox id -u):$(busybox id -g)"], Env = ["FOO=bar"], WorkingDir = "/tmp", User = "1000:1001", AttachStdout = true });
        Assert.Equal("bar /tmp 1000:1001\n", stdout);
    }

    [SkippableFact]
    public async Task Start_NoSuchProgram_126AndTheRuntimesError()
    {
        RequireContainer();
        var (stdout, _, exec) = await RunAsync(new ExecConfig { Cmd = ["no-such-program"], AttachStdout = true, AttachStderr = true });
        Assert.Equal(126, exec.ExitCode);
        Assert.Contains("OCI runtime exec failed", stdout, StringComparison.Ordinal);
        Assert.Contains("no-such-program", stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Create_StoppedContainerOrNoCommand_DockersErrors()
    {
        RequireContainer();
        var stopped = Assert.Throws<EngineException>(() => _execs.Create(_container with { Running = false }, new ExecConfig { Cmd = ["true"] }));
        Assert.Equal(EngineErrorCode.Conflict, stopped.Code);
        Assert.Equal($"container {_container.Id} is not running", stopped.Message);
        var empty = Assert.Throws<EngineException>(() => _execs.Create(_container, new ExecConfig()));
        Assert.Equal(EngineErrorCode.InvalidArgument, empty.Code);
        Assert.Null(_execs.Find("0123"));
    }

    [SkippableFact]
    public async Task Start_CallerGoesAway_ProcessRunsOnAndIsRecorded()
    {
        RequireContainer();
        var exec = _execs.Create(_container, new ExecConfig { Cmd = ["sh", "-c", "echo first; busybox sleep 1; echo second; exit 5"], AttachStdout = true });
        using var gone = new CancellationTokenSource();
        var first = new TaskCompletionSource();
        var start = _execs.StartAsync(exec, _container, null, (_, _, ct) =>
        {
            first.TrySetResult();
            // The caller's connection is gone: every write fails.
            throw new IOException("broken pipe");
        }, gone.Token);
        await first.Task.WaitAsync(TimeSpan.FromMinutes(1));
        await gone.CancelAsync();
        await start.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(5, exec.ExitCode);
    }
}
