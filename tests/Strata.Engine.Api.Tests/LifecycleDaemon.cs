using System.Diagnostics;
using Strata.Engine.Containers;
using Strata.Images;
using Strata.Linux;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// A test daemon that runs containers (root, strata-runtime and strata-monitor built): a busybox image in its
/// store; on dispose every container is force-removed, and any monitor or container process left under its
/// directory (a test that failed midway) is killed before the directory and its mounts go.
/// </summary>
internal sealed class LifecycleDaemon : IAsyncDisposable
{
    public const string Image = "busybox:latest";

    private LifecycleDaemon(TestDaemon daemon) => Daemon = daemon;

    public TestDaemon Daemon { get; }

    public string Socket => Daemon.Socket;

    /// <summary>Why containers cannot run here, or null.</summary>
    public static string? Unavailable()
    {
        if (Sys.EffectiveUserId != 0)
        {
            return "containers need root";
        }
        if (ContainerService.FindRuntime() is not { } runtime || !File.Exists(runtime))
        {
            return "strata-runtime is not built (dotnet publish src/Strata.Runtime.Cli -o artifacts/bin)";
        }
        var monitor = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(runtime))!, "strata-monitor");
        return File.Exists(monitor) || Environment.GetEnvironmentVariable("STRATA_MONITOR") is { Length: > 0 }
            ? null
            : "strata-monitor is not built (dotnet publish src/Strata.Monitor -o artifacts/bin)";
    }

    /// <param name="moreImages">Writes more test images into the daemon's store before it starts.</param>
    public static async Task<LifecycleDaemon> StartAsync(Action<EngineApiOptions>? configure = null, Action<ImageService>? moreImages = null) => new(await TestDaemon.StartAsync(d =>
    {
        using var images = new ImageService(new ImageServiceOptions { Root = d.Root });
        TestImages.WriteBusybox(images, Image);
        moreImages?.Invoke(images);
    }, configure));

    public DockerCli Cli(string binary) => new(binary, Daemon.Socket, Daemon.Dir.Combine("docker-config-" + Path.GetFileName(Path.GetDirectoryName(binary))));

    public async ValueTask DisposeAsync()
    {
        try
        {
            var lifecycle = Daemon.Engine.Containers;
            foreach (var c in lifecycle.List())
            {
                try
                {
                    using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                    await lifecycle.RemoveAsync(c.Id, force: true, removeVolumes: true, deadline.Token);
                }
                catch (Exception e) when (e is EngineException or OperationCanceledException)
                {
                }
            }
        }
        finally
        {
            KillProcessesUnder(Daemon.Dir.Path);
            await Daemon.DisposeAsync();
        }
    }

    /// <summary>Every process whose command line names <paramref name="dir"/> (monitors, runtimes), and its container's init.</summary>
    public static void KillProcessesUnder(string dir)
    {
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (cmdline.Contains(dir, StringComparison.Ordinal))
            {
                foreach (var child in Children(pid))
                {
                    Sys.Kill(child, Signals.SIGKILL);
                }
                Sys.Kill(pid, Signals.SIGKILL);
            }
        }
    }

    private static List<int> Children(int pid)
    {
        var path = $"/proc/{pid}/task/{pid}/children";
        return File.Exists(path)
            ? File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList()
            : [];
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after a minute (a hang, not a speed check).</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > TimeSpan.FromMinutes(1))
            {
                Assert.Fail($"never happened: {what}");
            }
            await Task.Delay(100);
        }
    }
}
