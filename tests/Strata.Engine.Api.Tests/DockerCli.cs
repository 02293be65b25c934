using System.Diagnostics;

namespace Strata.Engine.Api.Tests;

/// <summary>A real docker CLI pointed at a test daemon's socket, with a config directory of its own.</summary>
internal sealed class DockerCli(string binary, string socket, string configDir, IReadOnlyDictionary<string, string>? environment = null)
{
    /// <summary>The docker 28.2 client on these machines (API 1.50).</summary>
    public const string Current = "/usr/local/bin/docker";

    /// <summary>Debian's docker.io client, 20.10 (API 1.41).</summary>
    public const string Debian = "/usr/bin/docker";

    public async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        foreach (var name in new[] { "DOCKER_CONTEXT", "DOCKER_API_VERSION", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH" })
        {
            info.Environment.Remove(name);
        }
        info.Environment["DOCKER_HOST"] = "unix://" + socket;
        info.Environment["DOCKER_CONFIG"] = configDir;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info)!;
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
            throw new TimeoutException($"docker {string.Join(' ', args)} did not finish");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs and asserts success, returning stdout.</summary>
    public async Task<string> OkAsync(params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(args);
        Assert.True(exit == 0, $"docker {string.Join(' ', args)} exited {exit}: {stderr}{stdout}");
        return stdout;
    }
}
