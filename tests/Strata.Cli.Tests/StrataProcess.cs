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

    public static async Task<string> OkAsync(params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(null, args);
        Assert.True(exit == 0, $"strata {string.Join(' ', args)} exited {exit}: {stderr}{stdout}");
        return stdout;
    }
}
