using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Strata.Images.Tests.Integration;

/// <summary>The built `strata` command against one store, with its own auth file and HOME.</summary>
internal sealed class StrataCli(string root, string home)
{
    public string Root => root;

    public Tool.Result Run(params string[] args) =>
        Tool.Exec("dotnet",
            [Dll, "--root", root, "--tls-verify=false", "--authfile", Path.Combine(home, "auth.json"), .. args],
            new Dictionary<string, string> { ["HOME"] = home });

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "strata.dll");

    public static void AssertOk(Tool.Result r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\nstdout: {r.Stdout}\nstderr: {r.Stderr}");

    /// <summary>`images` as JSON with every field whole: the full image ID (ID) and the manifest digest (Digest) of each name.</summary>
    public static readonly string[] ImagesJson = ["images", "--digests", "--no-trunc", "--format", "json"];

    /// <summary>docker's `images --format json`: one object a line, one line per repository and tag.</summary>
    public static List<JsonElement> JsonLines(Tool.Result r)
    {
        AssertOk(r);
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    /// <summary>A row's name as docker's columns split it: REPOSITORY:TAG.</summary>
    public static string Name(JsonElement row) => row.GetProperty("Repository").GetString() + ":" + row.GetProperty("Tag").GetString();
}

/// <summary>`strata registry serve` on a free loopback port with its own storage, stopped on dispose.</summary>
internal sealed partial class StrataRegistry : IDisposable
{
    private readonly Process _process;

    public StrataRegistry(string storage)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { StrataCli.Dll, "registry", "serve", "--listen", "127.0.0.1:0", "--storage", storage, "--log-level", "Warning" })
        {
            start.ArgumentList.Add(arg);
        }
        _process = Process.Start(start)!;
        try
        {
            _process.BeginErrorReadLine();
            // The first line names the bound address: port 0 lets the kernel choose a free one.
            var banner = _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
            var match = ListeningLine().Match(banner ?? "");
            if (!match.Success)
            {
                throw new InvalidOperationException($"strata registry serve printed '{banner}' first");
            }
            Host = match.Groups["hostport"].Value;
            _process.StandardOutput.ReadToEndAsync();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Host { get; } = "";

    /// <summary>The registry's /metrics count of requests with this method and route, over all statuses.</summary>
    public long Requests(string method, string route)
    {
        using var http = new HttpClient();
        var text = http.GetStringAsync(new Uri($"http://{Host}/metrics")).GetAwaiter().GetResult();
        long total = 0;
        foreach (Match m in Regex.Matches(text, $@"^strata_registry_http_requests_total\{{method=""{method}"",route=""{Regex.Escape(route)}"",status=""\d+""\}} (\d+)$", RegexOptions.Multiline))
        {
            total += long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return total;
    }

    public string MetricsText()
    {
        using var http = new HttpClient();
        return http.GetStringAsync(new Uri($"http://{Host}/metrics")).GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"listening on http://(?<hostport>127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
