using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Strata.Registry.Tests.Clients;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Cli;

/// <summary>
/// `strata registry serve` as shipped: the built strata CLI started as a process, used by a real client,
/// then stopped with SIGTERM as a service manager would. The CLI is not a project reference, so that these
/// tests build without the runtime and images projects the CLI also carries: build src/Strata.Cli first
/// (the test names the missing path otherwise).
/// </summary>
public sealed partial class ServeCommandTests : IDisposable
{
    private readonly TempDir _work = new();

    public void Dispose() => _work.Dispose();

    /// <summary>src/Strata.Cli/bin/&lt;this build's configuration&gt;/net10.0/strata.dll.</summary>
    internal static string StrataDll()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var root = output;
        while (root is not null && !File.Exists(Path.Join(root.FullName, "Directory.Build.props")))
        {
            root = root.Parent;
        }
        Assert.NotNull(root);
        var dll = Path.Join(root.FullName, "src", "Strata.Cli", "bin", configuration, output.Name, "strata.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build src/Strata.Cli ({configuration})");
        return dll;
    }

    [Fact]
    public async Task Serve_SkopeoPushThenSigterm_ServesAndExitsCleanly()
    {
        var storage = Path.Join(_work.Path, "storage");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { StrataDll(), "registry", "serve", "--listen", "127.0.0.1:0", "--storage", storage, "--log-level", "Warning" })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            // The first line names the bound address: port 0 lets the kernel choose a free one.
            var banner = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var match = ListeningLine().Match(banner ?? "");
            Assert.True(match.Success, $"unexpected first line '{banner}': {(process.HasExited ? await stderr : "")}");
            var hostPort = match.Groups["hostport"].Value;
            var rest = process.StandardOutput.ReadToEndAsync();

            using var client = new HttpClient { BaseAddress = new Uri($"http://{hostPort}") };
            using (var check = await client.GetAsync("/v2/"))
            {
                Assert.Equal(HttpStatusCode.OK, check.StatusCode);
                Assert.Equal("registry/2.0", Http.Header(check, "Docker-Distribution-API-Version"));
            }

            var image = OciLayoutImage.Create(Path.Join(_work.Path, "src"), "v1", "served by the strata command\n");
            await Tool.SkopeoAsync("copy", "--dest-tls-verify=false", $"oci:{image.Directory}:v1", $"docker://{hostPort}/cli/app:v1");
            using (var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v2/cli/app/manifests/v1")))
            {
                Assert.Equal(HttpStatusCode.OK, head.StatusCode);
                Assert.Equal(image.ManifestDigest.ToString(), Http.Header(head, "Docker-Content-Digest"));
            }
            Assert.Equal(3, Directory.GetFiles(Path.Join(storage, "blobs"), "data", SearchOption.AllDirectories).Length);

            Assert.Equal(0, Kill(process.Id, SigTerm));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode} after SIGTERM: {await stderr}");
            Assert.DoesNotContain("Exception", await stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", await rest, StringComparison.Ordinal);
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/v2/"));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [GeneratedRegex(@"listening on http://(?<hostport>127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
