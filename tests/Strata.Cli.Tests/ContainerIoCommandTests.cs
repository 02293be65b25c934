using System.Formats.Tar;

namespace Strata.Cli.Tests;

/// <summary>
/// run attached, logs, exec, cp, export, diff and system df/prune through the client, against a test daemon
/// beside the docker CLI and in-process. Root only: real containers.
/// </summary>
public sealed class ContainerIoCommandTests : IAsyncLifetime, IDisposable
{
    private readonly TempDir _temp = new();
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
        try
        {
            if (_daemon is not null)
            {
                await _daemon.DisposeAsync();
            }
            if (Directory.Exists(Root))
            {
                var (exit, ids, _) = await StrataProcess.RunAsync("--root", Root, "ps", "-aq");
                if (exit == 0 && ids.Split('\n', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } list)
                {
                    await StrataProcess.RunAsync(["--root", Root, "rm", "-f", .. list]);
                }
            }
        }
        finally
        {
            LifecycleDaemon.KillProcessesUnder(_temp.Path);
        }
    }

    public void Dispose() => _temp.Dispose();

    private string Root => _temp.Combine("root");

    private string[] Target(bool inProcess)
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        if (!inProcess)
        {
            return ["-H", "unix://" + _daemon!.Socket];
        }
        if (!Directory.Exists(Root))
        {
            using var images = new Strata.Images.ImageService(new Strata.Images.ImageServiceOptions { Root = Root });
            TestImages.WriteBusybox(images, LifecycleDaemon.Image);
        }
        return ["--root", Root];
    }

    private DockerCli Docker()
    {
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        return _daemon!.Cli(DockerCli.Current);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunAttached_StdoutAndStderrApart_ExitCodeTheContainers(bool inProcess)
    {
        var target = Target(inProcess);

        var result = await StrataProcess.RunAsync([.. target, "run", "--rm", LifecycleDaemon.Image, "sh", "-c", "echo out; echo err >&2; exit 7"]);
        var echo = await StrataProcess.RunAsync([.. target, "run", "--rm", "-e", "WHO=strata", LifecycleDaemon.Image, "sh", "-c", "echo hello $WHO"]);

        Assert.Equal((7, "out\n", "err\n"), result);
        Assert.Equal((0, "hello strata\n", ""), echo);
    }

    [SkippableFact]
    public async Task RunAttached_IntoAFileTheShellSharesOn_WritesAtTheSharedOffset()
    {
        var target = Target(inProcess: false);
        var file = _temp.Combine("shared.out");
        var strata = string.Join(' ', ((string[])["dotnet", StrataProcess.Dll, .. target]).Select(a => "'" + a + "'"));

        // The shell's one open file: what it writes after strata must follow the container's output, not overwrite it.
        var info = new System.Diagnostics.ProcessStartInfo("sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"{{ echo before; {strata} run --rm {LifecycleDaemon.Image} echo from-container; echo after; }} >'{file}' 2>&1");
        using (var shell = System.Diagnostics.Process.Start(info)!)
        {
            await shell.WaitForExitAsync();
        }

        Assert.Equal("before\nfrom-container\nafter\n", await File.ReadAllTextAsync(file));
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Exec_OutputAndExitCode(bool inProcess)
    {
        var target = Target(inProcess);
        await StrataProcess.OkAsync([.. target, "run", "-d", "--name", "ex", LifecycleDaemon.Image, "sleep", "1000"]);

        var echo = await StrataProcess.RunAsync([.. target, "exec", "-e", "X=1", "-w", "/bin", "ex", "sh", "-c", "echo $X $(pwd); echo e >&2; exit 4"]);
        var detached = await StrataProcess.RunAsync([.. target, "exec", "-d", "ex", "sh", "-c", "echo made > /tmp/made"]);
        await LifecycleDaemon.Eventually(async () => (await StrataProcess.RunAsync([.. target, "exec", "ex", "cat", "/tmp/made"])).Stdout == "made\n", "the detached exec wrote its file");
        var notFound = await StrataProcess.RunAsync([.. target, "exec", "ex", "no-such-command"]);

        Assert.Equal((4, "1 /bin\n", "e\n"), echo);
        Assert.Equal((0, ""), (detached.Exit, detached.Stdout));
        Assert.True(notFound.Exit is 126 or 127, $"exit {notFound.Exit}: {notFound.Stderr}");
    }

    [SkippableFact]
    public async Task Daemon_LogsDiffDf_PrintWhatTheDockerCliPrints()
    {
        var target = Target(inProcess: false);
        var docker = Docker();
        await StrataProcess.OkAsync([.. target, "run", "-d", "--name", "talker", LifecycleDaemon.Image, "sh", "-c", "echo one; echo two >&2; echo three; mkdir /new; echo x > /new/file; rm /bin/cat; sleep 1000"]);
        await LifecycleDaemon.Eventually(async () => (await docker.OkAsync("logs", "talker")).Contains("three", StringComparison.Ordinal), "the container wrote its lines");
        await LifecycleDaemon.Eventually(async () => (await docker.OkAsync("diff", "talker")).Contains("D /bin/cat", StringComparison.Ordinal), "the container changed its files");

        foreach (var args in new[]
        {
            new[] { "logs", "talker" },
            ["logs", "--tail", "1", "talker"],
            ["logs", "-t", "talker"],
            ["diff", "talker"],
            ["system", "df"],
        })
        {
            var expected = await docker.RunAsync(args);
            var actual = await StrataProcess.RunAsync([.. target, .. args]);
            Assert.Equal((expected.Exit, expected.Stdout, expected.Stderr), actual);
        }
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Cp_InAndOut_Export(bool inProcess)
    {
        var target = Target(inProcess);
        await StrataProcess.OkAsync([.. target, "run", "-d", "--name", "files", LifecycleDaemon.Image, "sleep", "1000"]);
        var local = Directory.CreateDirectory(_temp.Combine("local", "tree"));
        File.WriteAllText(Path.Combine(local.FullName, "a.txt"), "alpha");
        Directory.CreateDirectory(Path.Combine(local.FullName, "sub"));
        File.WriteAllText(Path.Combine(local.FullName, "sub", "b.txt"), "beta");

        await StrataProcess.OkAsync([.. target, "cp", local.FullName, "files:/tmp"]);
        await StrataProcess.OkAsync([.. target, "cp", Path.Combine(local.FullName, "a.txt"), "files:/tmp/renamed.txt"]);
        var inside = await StrataProcess.OkAsync([.. target, "exec", "files", "cat", "/tmp/tree/a.txt", "/tmp/tree/sub/b.txt", "/tmp/renamed.txt"]);
        var back = _temp.Combine("back");
        await StrataProcess.OkAsync([.. target, "cp", "files:/tmp/tree", back]);
        var into = Directory.CreateDirectory(_temp.Combine("into")).FullName;
        await StrataProcess.OkAsync([.. target, "cp", "files:/tmp/renamed.txt", into]);
        var export = _temp.Combine("export.tar");
        await StrataProcess.OkAsync([.. target, "export", "-o", export, "files"]);

        Assert.Equal("alphabetaalpha", inside);
        Assert.Equal("alpha", File.ReadAllText(Path.Combine(back, "a.txt")));
        Assert.Equal("beta", File.ReadAllText(Path.Combine(back, "sub", "b.txt")));
        Assert.Equal("alpha", File.ReadAllText(Path.Combine(into, "renamed.txt")));
        var names = new List<string>();
        await using (var file = File.OpenRead(export))
        await using (var reader = new TarReader(file))
        {
            while (await reader.GetNextEntryAsync() is { } entry)
            {
                names.Add(entry.Name.TrimStart('.', '/'));
            }
        }
        Assert.Contains("bin/busybox", names);
        Assert.Contains("tmp/tree/sub/b.txt", names);
    }

    [SkippableFact]
    public async Task Daemon_SystemPrune_RemovesStoppedContainers()
    {
        var target = Target(inProcess: false);
        var stopped = (await StrataProcess.OkAsync([.. target, "create", LifecycleDaemon.Image, "true"])).Trim();
        await StrataProcess.OkAsync([.. target, "run", "-d", "--name", "keep", LifecycleDaemon.Image, "sleep", "1000"]);

        var pruned = await StrataProcess.OkAsync([.. target, "system", "prune", "-f"]);
        var left = await StrataProcess.OkAsync([.. target, "ps", "-a", "--format", "{{.Names}}"]);

        Assert.StartsWith($"Deleted Containers:\n{stopped}\n\n", pruned, StringComparison.Ordinal);
        Assert.EndsWith("Total reclaimed space: 0B\n", pruned, StringComparison.Ordinal);
        Assert.Equal("keep\n", left);
    }
}
