using System.Diagnostics;

namespace Strata.Cli.Tests;

/// <summary>The built `strata` (strata.dll next to the tests) as a process, with an environment of its own.</summary>
internal static class StrataProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "strata.dll");

    /// <summary>
    /// Runs strata with <paramref name="args"/>; STRATA_HOST and DOCKER_HOST are removed unless <paramref name="env"/>
    /// sets them, so the machine's own settings never pick the engine a test talks to.
    /// </summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        info.Environment.Remove("STRATA_HOST");
        info.Environment.Remove("DOCKER_HOST");
        // An in-process engine (--root, no -H) networks its containers in a namespace beside the test's root,
        // never the machine's: the bridge plugin's ip_forward=1, bridges and rules stay there (STRATA_NETNS).
        if (Strata.Linux.Sys.EffectiveUserId == 0 && !args.Contains("-H") && args.Contains("--root")
            && (env is null || !env.ContainsKey("STRATA_NETNS")))
        {
            var root = Path.GetFullPath(args[Array.IndexOf(args, "--root") + 1]);
            info.Environment["STRATA_NETNS"] = await NamespaceBesideAsync(root);
        }
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"strata {string.Join(' ', args)} did not finish");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public static Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args) => RunAsync(null, args);

    private static readonly SemaphoreSlim NamespaceLock = new(1, 1);

    /// <summary>ROOT/../netns, made once (loopback up); the test's TempDir unmounts it with the rest.</summary>
    private static async Task<string> NamespaceBesideAsync(string root)
    {
        var path = Path.Combine(Path.GetDirectoryName(root)!, "netns");
        await NamespaceLock.WaitAsync();
        try
        {
            if (!Strata.Linux.NetworkNamespace.IsBound(path))
            {
                File.Delete(path);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await Strata.Engine.Api.Tests.TestDaemon.CreateNamespaceAsync(path);
            }
            return path;
        }
        finally
        {
            NamespaceLock.Release();
        }
    }

    public static async Task<string> OkAsync(params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(null, args);
        Assert.True(exit == 0, $"strata {string.Join(' ', args)} exited {exit}: {stderr}{stdout}");
        return stdout;
    }
}
