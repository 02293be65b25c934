using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Strata.Images.Tests.Integration;

/// <summary>
/// Two CNCF registries (apt docker-registry) on loopback, one open and one behind htpasswd basic auth,
/// each with its own temporary storage, and a busybox image built with umoci from /bin/busybox and pushed
/// to both with skopeo. Everything is torn down when the collection ends, whatever the tests did.
/// </summary>
public sealed class RegistryFixture : IDisposable
{
    public const string User = "tester";
    public const string Password = "s3cret-pw";
    public const string Repository = "test/busybox";
    public const string Tag = "1";

    private readonly TempDir _temp = new();
    private readonly List<Process> _registries = [];

    public RegistryFixture()
    {
        try
        {
            foreach (var tool in new[] { "/usr/bin/docker-registry", "/usr/bin/skopeo", "/usr/bin/umoci", "/usr/bin/htpasswd", "/bin/busybox" })
            {
                if (!File.Exists(tool))
                {
                    throw new InvalidOperationException($"{tool} is missing: apt-get install docker-registry skopeo umoci apache2-utils busybox-static");
                }
            }
            OpenHost = StartRegistry("open", null);
            var htpasswd = _temp.Combine("htpasswd");
            File.WriteAllText(htpasswd, Tool.Run("htpasswd", "-Bbn", User, Password).Trim() + "\n");
            AuthHost = StartRegistry("auth", htpasswd);
            Layout = BuildImage();
            Tool.Run("skopeo", "copy", "--dest-tls-verify=false", $"oci:{Layout}:{Tag}", $"docker://{OpenHost}/{Repository}:{Tag}");
            Tool.Run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", $"{User}:{Password}", $"oci:{Layout}:{Tag}", $"docker://{AuthHost}/{Repository}:{Tag}");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string OpenHost { get; } = "";
    public string AuthHost { get; } = "";
    public string Layout { get; } = "";

    public string OpenImage => $"{OpenHost}/{Repository}:{Tag}";

    public void Dispose()
    {
        foreach (var registry in _registries)
        {
            try
            {
                registry.Kill(entireProcessTree: true);
                registry.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
            }
            registry.Dispose();
        }
        _registries.Clear();
        _temp.Dispose();
    }

    private string StartRegistry(string name, string? htpasswd)
    {
        var port = FreePort();
        var config = _temp.Combine($"{name}.yml");
        var auth = htpasswd is null ? "" : $"auth:\n  htpasswd:\n    realm: strata-test\n    path: {htpasswd}\n";
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: error
            storage:
              filesystem:
                rootdirectory: {_temp.Combine(name + "-data")}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port}
            {auth}
            """.Replace("\r", "", StringComparison.Ordinal));
        var info = new ProcessStartInfo("/usr/bin/docker-registry") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(config);
        var process = Process.Start(info)!;
        _registries.Add(process);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var host = $"127.0.0.1:{port}";
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var response = http.GetAsync(new Uri($"http://{host}/v2/")).GetAwaiter().GetResult();
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return host;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
            }
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"docker-registry {name} did not start on {host}");
            }
            Thread.Sleep(100);
        }
    }

    /// <summary>A one-layer busybox image: /bin/busybox plus sh/echo/ls/cat links, Cmd ["/bin/sh"].</summary>
    private string BuildImage()
    {
        var layout = _temp.Combine("layout");
        var bundle = _temp.Combine("bundle");
        Tool.Run("umoci", "init", "--layout", layout);
        Tool.Run("umoci", "new", "--image", $"{layout}:{Tag}");
        Tool.Run("umoci", "unpack", "--image", $"{layout}:{Tag}", bundle);
        var bin = Path.Combine(bundle, "rootfs", "bin");
        Directory.CreateDirectory(bin);
        File.Copy("/bin/busybox", Path.Combine(bin, "busybox"));
        foreach (var applet in new[] { "sh", "echo", "ls", "cat", "id", "pwd", "touch", "hostname" })
        {
            File.CreateSymbolicLink(Path.Combine(bin, applet), "busybox");
        }
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs", "etc"));
        File.WriteAllText(Path.Combine(bundle, "rootfs", "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n");
        Tool.Run("umoci", "repack", "--image", $"{layout}:{Tag}", bundle);
        Tool.Run("umoci", "config", "--image", $"{layout}:{Tag}", "--config.cmd", "/bin/sh", "--config.env", "PATH=/bin", "--config.workingdir", "/");
        return layout;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class RegistryCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "registry";
}

/// <summary>Runs a program to completion and returns its stdout; a non-zero exit throws with its stderr.</summary>
public static class Tool
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string Run(string program, params string[] args)
    {
        var result = Exec(program, args, null);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}");
        }
        return result.Stdout;
    }

    public static Result Exec(string program, IEnumerable<string> args, IDictionary<string, string>? env)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }
        using var p = Process.Start(info)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
