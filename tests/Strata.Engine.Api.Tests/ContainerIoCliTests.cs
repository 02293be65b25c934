using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// Logs, attach, run -it, exec and exec -it through the real docker CLIs (28.2 and Debian's 20.10) against
/// real containers: docker logs with --tail/--since/--until/-t and -f, json-file rotation with --log-opt,
/// attach with stdin, terminals under a real pty (util-linux script) with their size, exec's streams and exit
/// codes, docker's 409 and 404, and clients that go away mid-stream. Root only.
/// </summary>
public sealed partial class ContainerIoCliTests : IAsyncLifetime
{
    private LifecycleDaemon? _daemon;

    public async Task InitializeAsync()
    {
        if (LifecycleDaemon.Unavailable() is null)
        {
            _daemon = await LifecycleDaemon.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }
    }

    private DockerCli Cli(string binary)
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(binary), $"{binary} is not installed");
        return _daemon!.Cli(binary);
    }

    private static string Suffix(string binary) => binary == DockerCli.Current ? "new" : "old";

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Logs_StreamsApart_Tail_Timestamps_SinceUntil(string binary)
    {
        var cli = Cli(binary);
        var name = "logs-" + Suffix(binary);
        await cli.OkAsync("run", "-d", "--name", name, LifecycleDaemon.Image, "sh", "-c", "echo one; echo two >&2; echo three");
        await WaitExitedAsync(cli, name);

        var (exit, stdout, stderr) = await cli.RunAsync("logs", name);
        Assert.Equal(0, exit);
        Assert.Equal("one\nthree\n", stdout);
        Assert.Equal("two\n", stderr);

        // The order between the two streams is the copiers' (as dockerd's): the rest reads one stream.
        var lines = "lines-" + Suffix(binary);
        await cli.OkAsync("run", "-d", "--name", lines, LifecycleDaemon.Image, "sh", "-c", "echo one; echo two; echo three");
        await WaitExitedAsync(cli, lines);
        Assert.Equal("two\nthree\n", (await cli.RunAsync("logs", "--tail", "2", lines)).Stdout);
        Assert.Equal("", (await cli.RunAsync("logs", "--tail", "0", lines)).Stdout);
        name = lines;

        var stamped = (await cli.OkAsync("logs", "-t", name)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, stamped.Length);
        Assert.Matches(StampedLine(), stamped[0]);
        Assert.EndsWith(" one", stamped[0], StringComparison.Ordinal);
        Assert.EndsWith(" three", stamped[2], StringComparison.Ordinal);
        var first = stamped[0].Split(' ')[0];
        var last = stamped[2].Split(' ')[0];

        // Both bounds are inclusive, as json-file's reader: since the last line's time, until the first's.
        Assert.Equal("three\n", (await cli.RunAsync("logs", "--since", last, name)).Stdout);
        Assert.Equal("one\n", (await cli.RunAsync("logs", "--until", first, name)).Stdout);
        Assert.Equal("", (await cli.RunAsync("logs", "--since", "2999-01-01T00:00:00Z", name)).Stdout);
        if (binary == DockerCli.Current)
        {
            Assert.Equal("", (await cli.RunAsync("logs", "--until", "2000-01-01T00:00:00Z", name)).Stdout);
        }
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task LogsFollow_SeesNewLines_EndsWhenTheContainerExits(string binary)
    {
        var cli = Cli(binary);
        var name = "follow-" + Suffix(binary);
        await cli.OkAsync("run", "-d", "--name", name, LifecycleDaemon.Image, "sh", "-c", "echo first; while [ ! -e /go ]; do sleep 0.1; done; echo second");
        using var follow = Start(binary, ["logs", "-f", name]);
        await follow.WaitForOutputAsync("first\n");
        Assert.False(follow.HasExited, "logs -f goes on while the container runs");

        await cli.OkAsync("exec", name, "sh", "-c", ": > /go");
        var (exit, output) = await follow.WaitAsync();
        Assert.Equal(0, exit);
        Assert.Equal("first\nsecond\n", output);
        Assert.Equal("exited\n", await cli.OkAsync("inspect", "-f", "{{.State.Status}}", name));
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task LogOptions_RotateBySize_FilesBounded_ReadableAcrossRotations(string binary)
    {
        var cli = Cli(binary);
        var name = "rotate-" + Suffix(binary);
        var id = (await cli.OkAsync("run", "-d", "--name", name, "--log-opt", "max-size=10k", "--log-opt", "max-file=3", LifecycleDaemon.Image,
            "sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done")).Trim();
        await WaitExitedAsync(cli, name);

        var dir = Path.Combine(_daemon!.Daemon.Root, "containers", id);
        var logs = Directory.GetFiles(dir, id + "-json.log*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([id + "-json.log", id + "-json.log.1", id + "-json.log.2"], logs);
        foreach (var f in logs)
        {
            // A file is rotated once it has reached max-size: at most one record beyond it.
            Assert.True(new FileInfo(Path.Combine(dir, f!)).Length < 10_000 + 200, $"{f} is bounded by max-size");
        }

        var lines = (await cli.OkAsync("logs", name)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length is > 100 and < 2000, $"three files of 10k hold part of the output: {lines.Length} lines");
        var start = int.Parse(lines[0]["line".Length..], CultureInfo.InvariantCulture);
        Assert.Equal(Enumerable.Range(start, lines.Length).Select(i => "line" + i), lines);
        Assert.Equal("line1999", lines[^1]);
        Assert.Equal("line1997\nline1998\nline1999\n", await cli.OkAsync("logs", "--tail", "3", name));

        var (exit, _, stderr) = await cli.RunAsync("run", "-d", "--log-opt", "max-size=lots", LifecycleDaemon.Image, "true");
        Assert.NotEqual(0, exit);
        Assert.Contains("invalid size: 'lots'", stderr, StringComparison.Ordinal);
        var unknown = await cli.RunAsync("create", "--log-opt", "colour=blue", LifecycleDaemon.Image, "true");
        Assert.NotEqual(0, unknown.Exit);
        Assert.Contains("unknown log opt 'colour' for json-file log driver", unknown.Stderr, StringComparison.Ordinal);
        Assert.Equal("", await cli.OkAsync("ps", "-aq", "--filter", "status=created"));
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task RunAttached_WithStdin_AndAttachToARunningContainer(string binary)
    {
        var cli = Cli(binary);
        var s = Suffix(binary);

        // docker run attaches before the start: nothing of the output is missed.
        var plain = await cli.RunAsync("run", "--name", "fg-" + s, LifecycleDaemon.Image, "sh", "-c", "echo out; echo err >&2; exit 5");
        Assert.True(plain.Exit == 5, $"exit {plain.Exit}: {plain.Stderr}");
        Assert.Equal("out\n", plain.Stdout);
        Assert.Equal("err\n", plain.Stderr);

        var (exit, output) = await Run(binary, ["run", "-i", "--name", "in-" + s, LifecycleDaemon.Image, "sh", "-c", "read x; echo got $x"], "hello\n");
        Assert.Equal(0, exit);
        Assert.Equal("got hello\n", output);

        var name = "attach-" + s;
        await cli.OkAsync("run", "-d", "-i", "--name", name, LifecycleDaemon.Image, "sh", "-c", "echo ready; read x; echo got $x; read y; echo then $y");
        await LifecycleDaemon.Eventually(async () => (await cli.OkAsync("logs", name)) == "ready\n", "the container printed ready");
        (exit, output) = await Run(binary, ["attach", name], "one\ntwo\n");
        Assert.Equal(0, exit);
        Assert.Equal("got one\nthen two\n", output);
        await WaitExitedAsync(cli, name);
        Assert.Equal("ready\ngot one\nthen two\n", await cli.OkAsync("logs", name));
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Exec_StreamsApart_ExitCode_StoppedContainer409_UnknownExec404(string binary)
    {
        var cli = Cli(binary);
        var name = "exec-" + Suffix(binary);
        var id = (await cli.OkAsync("run", "-d", "--name", name, LifecycleDaemon.Image, "sleep", "1000")).Trim();

        var (exit, stdout, stderr) = await cli.RunAsync("exec", name, "sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.Equal(3, exit);
        Assert.Equal("out\n", stdout);
        Assert.Equal("err\n", stderr);
        var input = await Run(binary, ["exec", "-i", "-e", "GREETING=hi", "-w", "/bin", name, "sh", "-c", "read x; echo $GREETING $x $(pwd)"], "there\n");
        Assert.Equal((0, "hi there /bin\n"), input);
        Assert.Equal("", await cli.OkAsync("exec", "-d", name, "sh", "-c", "echo detached > /detached"));
        await LifecycleDaemon.Eventually(async () => (await cli.RunAsync("exec", name, "cat", "/detached")).Stdout == "detached\n", "a detached exec ran");

        using var http = _daemon!.Daemon.CreateClient();
        var unknown = await http.GetAsync("/v1.50/exec/nope/json");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("""{"message":"No such exec instance: nope"}""", (await unknown.Content.ReadAsStringAsync()).Trim());

        await cli.OkAsync("kill", name);
        await WaitExitedAsync(cli, name);
        (exit, _, stderr) = await cli.RunAsync("exec", name, "true");
        Assert.NotEqual(0, exit);
        Assert.Contains($"container {id} is not running", stderr, StringComparison.Ordinal);
        var refused = await http.PostAsync($"/v1.50/containers/{name}/exec", new StringContent("""{"Cmd":["true"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal($$"""{"message":"container {{id}} is not running"}""", (await refused.Content.ReadAsStringAsync()).Trim());
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task RunIt_UnderAPty_InputOutputSizeAndExitCode(string binary)
    {
        Cli(binary);
        Skip.IfNot(File.Exists("/usr/bin/script"), "util-linux script is not installed");
        var name = "it-" + Suffix(binary);
        // script gives the CLI a real terminal; stty sets its size first, which the CLI sends as the container's
        // (docker 28 in the create's ConsoleSize, 20.10 by a resize after the start, which the shell waits for).
        var (exit, output) = await Script(binary, $"stty rows 31 cols 97; {binary} run -it --name {name} {LifecycleDaemon.Image} sh",
            "until [ \"$(busybox stty size 2>/dev/null)\" = \"31 97\" ]; do sleep 0.1; done; echo $((30+1))x$((90+7)); exit 4\n");
        Assert.True(exit == 4 && output.Contains("31x97", StringComparison.Ordinal), $"exit {exit}: {output}");
        Assert.Equal("true\n", await _daemon!.Cli(binary).OkAsync("inspect", "-f", "{{.Config.Tty}}", name));
    }

    [SkippableFact]
    public async Task Resize_SetsTheContainersTerminal_409WhenNotRunning()
    {
        var cli = Cli(DockerCli.Current);
        await cli.OkAsync("run", "-dit", "--name", "sized", LifecycleDaemon.Image, "sh");
        using var http = _daemon!.Daemon.CreateClient();
        var resized = await http.PostAsync("/v1.50/containers/sized/resize?h=20&w=50", null);
        Assert.True(resized.StatusCode == HttpStatusCode.OK, await resized.Content.ReadAsStringAsync());
        // The init's stdin is the terminal's slave.
        Assert.Equal("20 50\n", await cli.OkAsync("exec", "sized", "sh", "-c", "busybox stty size < /proc/1/fd/0"));

        await cli.OkAsync("rm", "-f", "sized");
        await cli.OkAsync("create", "--name", "idle", "-t", LifecycleDaemon.Image, "sh");
        var idle = await http.PostAsync("/v1.50/containers/idle/resize?h=20&w=50", null);
        Assert.Equal(HttpStatusCode.Conflict, idle.StatusCode);
        var bad = await http.PostAsync("/v1.50/containers/idle/resize?h=x&w=50", null);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task ExecIt_UnderAPty_InputOutputSizeAndExitCode(string binary)
    {
        var cli = Cli(binary);
        Skip.IfNot(File.Exists("/usr/bin/script"), "util-linux script is not installed");
        var name = "execit-" + Suffix(binary);
        await cli.OkAsync("run", "-d", "--name", name, LifecycleDaemon.Image, "sleep", "1000");

        var (exit, output) = await Script(binary, $"stty rows 33 cols 77; {binary} exec -it {name} sh", "busybox stty size; echo $((6*7)); exit 6\n");
        Assert.True(exit == 6 && output.Contains("33 77", StringComparison.Ordinal) && output.Contains("42", StringComparison.Ordinal), $"exit {exit}: {output}");

        // A terminal joins stdout and stderr, as docker's.
        (exit, output) = await Script(binary, $"{binary} exec -t {name} sh -c 'echo err >&2; exit 2'", "");
        Assert.Equal(2, exit);
        Assert.Contains("err\r", output, StringComparison.Ordinal);
        Assert.Equal("running\n", await cli.OkAsync("inspect", "-f", "{{.State.Status}}", name));
    }

    [SkippableFact]
    public async Task AttachWebSocket_StdinIn_BinaryMessagesOut_ClosedWhenTheContainerEnds()
    {
        var cli = Cli(DockerCli.Current);
        await cli.OkAsync("run", "-d", "-i", "--name", "wsc", LifecycleDaemon.Image, "sh", "-c", "read x; echo got $x; echo oops >&2");
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                await s.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(_daemon!.Socket), ct);
                return new System.Net.Sockets.NetworkStream(s, ownsSocket: true);
            },
        };
        using var invoker = new HttpMessageInvoker(handler);
        using var ws = new System.Net.WebSockets.ClientWebSocket();
        await ws.ConnectAsync(new Uri("ws://docker/v1.50/containers/wsc/attach/ws?stream=1&stdin=1&stdout=1&stderr=1"), invoker, CancellationToken.None);
        await ws.SendAsync("hi\n"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Binary, true, CancellationToken.None);

        var received = new StringBuilder();
        var types = new HashSet<System.Net.WebSockets.WebSocketMessageType>();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            System.Net.WebSockets.WebSocketReceiveResult result;
            try
            {
                result = await ws.ReceiveAsync(buffer, deadline.Token);
            }
            catch (System.Net.WebSockets.WebSocketException e)
            {
                throw new InvalidOperationException($"after {received}: {e.Message}", e);
            }
            types.Add(result.MessageType);
            if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                break;
            }
            received.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
        // stdout and stderr come in the copiers' order, as attach's.
        Assert.Equal(["got hi", "oops"], received.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Assert.Equal([System.Net.WebSockets.WebSocketMessageType.Binary, System.Net.WebSockets.WebSocketMessageType.Close], types);
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, ws.CloseStatus);

        using var http = _daemon!.Daemon.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v1.50/containers/nope/attach/ws")).StatusCode);
    }

    [SkippableFact]
    public async Task ClientsThatGoAway_MidAttachAndMidLogs_LeaveTheContainerAndDaemonFine()
    {
        var cli = Cli(DockerCli.Current);
        await cli.OkAsync("run", "-d", "-i", "--name", "chatty", LifecycleDaemon.Image, "sh", "-c", "while true; do echo tick; sleep 0.1; done");
        using (var attach = Start(DockerCli.Current, ["attach", "--no-stdin", "chatty"]))
        using (var logs = Start(DockerCli.Current, ["logs", "-f", "chatty"]))
        {
            await attach.WaitForOutputAsync("tick\n");
            await logs.WaitForOutputAsync("tick\n");
            attach.Kill();
            logs.Kill();
        }
        using var http = _daemon!.Daemon.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1.50/containers/chatty/attach?stream=1&stdout=1");
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        Assert.True(await stream.ReadAsync(buffer) > 0, "an attach over HTTP gets output");
        response.Dispose();

        Assert.Equal("running\n", await cli.OkAsync("inspect", "-f", "{{.State.Status}}", "chatty"));
        Assert.Equal("tick\n", await cli.OkAsync("exec", "chatty", "echo", "tick"));
        Assert.Contains("tick\n", await cli.OkAsync("logs", "--tail", "1", "chatty"), StringComparison.Ordinal);
        await cli.OkAsync("rm", "-f", "chatty");
    }

    private static async Task WaitExitedAsync(DockerCli cli, string name) =>
        await LifecycleDaemon.Eventually(async () => (await cli.OkAsync("inspect", "-f", "{{.State.Status}}", name)) == "exited\n", $"{name} exits");

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")]
    private static partial Regex StampedLine();

    private Dictionary<string, string> Environment(string binary) => new()
    {
        ["DOCKER_HOST"] = "unix://" + _daemon!.Socket,
        ["DOCKER_CONFIG"] = _daemon.Daemon.Dir.Combine("docker-config-" + Path.GetFileName(Path.GetDirectoryName(binary))),
    };

    private Child Start(string binary, string[] args) => Child.Start(binary, args, Environment(binary));

    /// <summary>Runs with <paramref name="stdin"/> written and closed; stdout.</summary>
    private async Task<(int Exit, string Output)> Run(string binary, string[] args, string stdin)
    {
        using var child = Child.Start(binary, args, Environment(binary), stdin);
        return await child.WaitAsync();
    }

    /// <summary><paramref name="command"/> under `script`, a real pty, fed <paramref name="input"/>; its exit code and what the terminal showed.</summary>
    private async Task<(int Exit, string Output)> Script(string binary, string command, string input)
    {
        using var child = Child.Start("/usr/bin/script", ["-qfec", command, "/dev/null"], Environment(binary), input);
        return await child.WaitAsync();
    }

    /// <summary>A client process: its stdout collected as it comes, killed on dispose if it still runs.</summary>
    private sealed class Child : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly Task _reading;

        private Child(Process process)
        {
            _process = process;
            _reading = Task.Run(async () =>
            {
                var buffer = new char[4096];
                int n;
                while ((n = await process.StandardOutput.ReadAsync(buffer)) > 0)
                {
                    lock (_output)
                    {
                        _output.Append(buffer, 0, n);
                    }
                }
            });
            _ = process.StandardError.ReadToEndAsync();
        }

        public bool HasExited => _process.HasExited;

        public static Child Start(string file, string[] args, Dictionary<string, string> env, string? stdin = null)
        {
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            foreach (var a in args)
            {
                info.ArgumentList.Add(a);
            }
            foreach (var name in new[] { "DOCKER_CONTEXT", "DOCKER_API_VERSION", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH" })
            {
                info.Environment.Remove(name);
            }
            foreach (var (k, v) in env)
            {
                info.Environment[k] = v;
            }
            var process = Process.Start(info)!;
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
                process.StandardInput.Close();
            }
            return new Child(process);
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public async Task WaitForOutputAsync(string text) =>
            await LifecycleDaemon.Eventually(() => Task.FromResult(Output.Contains(text, StringComparison.Ordinal) || _process.HasExited), $"the client printed {text.Trim()}");

        public async Task<(int Exit, string Output)> WaitAsync()
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} did not finish: {Output}");
            }
            await _reading;
            return (_process.ExitCode, Output);
        }

        public void Kill() => _process.Kill(entireProcessTree: true);

        public void Write(string text)
        {
            _process.StandardInput.Write(text);
            _process.StandardInput.Flush();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            _process.Dispose();
        }
    }
}
