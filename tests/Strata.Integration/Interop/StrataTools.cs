using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Strata.Integration.Runtime;

namespace Strata.Integration.Interop;

/// <summary>
/// The `strata` command as shipped (strata.dll next to the tests, a project reference) with its own store
/// under <paramref name="root"/>, its own auth file and strata-runtime from this checkout.
/// </summary>
public sealed class StrataCli(string root)
{
    public string Root { get; } = root;

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "strata.dll");

    public CommandResult Run(params string[] args) =>
        Sandbox.Run("dotnet", [Dll, "--root", Root, "--tls-verify=false", "--authfile", Path.Combine(Root, "auth.json"), .. args],
            new() { ["HOME"] = Root, ["STRATA_RUNTIME"] = Runtimes.StrataPath }, TimeSpan.FromSeconds(180));

    public string Check(params string[] args)
    {
        var result = Run(args);
        Assert.True(result.ExitCode == 0, $"strata {string.Join(' ', args)}: {result}");
        return result.Stdout;
    }

    /// <summary>
    /// `strata images --digests --no-trunc --format json` (docker's: an object a line): the row of
    /// <paramref name="name"/> (Repository:Tag in docker's familiar form, ID = config digest, Digest = manifest digest).
    /// </summary>
    public JsonElement Image(string name)
    {
        var familiar = name.StartsWith("docker.io/", StringComparison.Ordinal) ? name["docker.io/".Length..] : name;
        familiar = familiar.StartsWith("library/", StringComparison.Ordinal) ? familiar["library/".Length..] : familiar;
        var stdout = Check("images", "--digests", "--no-trunc", "--format", "json");
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var row = JsonDocument.Parse(line);
            if (row.RootElement.GetProperty("Repository").GetString() + ":" + row.RootElement.GetProperty("Tag").GetString() == familiar)
                return row.RootElement.Clone();
        }
        throw new Xunit.Sdk.XunitException($"strata images has no {name}: {stdout}");
    }
}

/// <summary>
/// A busybox image built like the other interop tests build it (umoci, from Debian's busybox-static, every
/// applet linked), loaded into a Strata store, and saved by `strata save` as the docker-archive and
/// oci-archive files the engine tests hand to docker and containerd.
/// </summary>
public sealed class BusyboxImage : IDisposable
{
    public const string Name = "localhost/strata-busybox:1";

    public BusyboxImage()
    {
        Dir = Directory.CreateTempSubdirectory("strata-busybox-").FullName;
        try
        {
            Strata = new StrataCli(Path.Combine(Dir, "store"));
            var layout = Path.Combine(Dir, "layout");
            var bundle = Path.Combine(Dir, "bundle");
            var image = $"{layout}:{Name}"; // an OCI ref.name may be a full reference (image-spec annotations.md)
            Tool("/usr/bin/umoci", "init", "--layout", layout);
            Tool("/usr/bin/umoci", "new", "--image", image);
            Tool("/usr/bin/umoci", "unpack", "--image", image, bundle);
            var rootfs = Path.Combine(bundle, "rootfs");
            var bin = Path.Combine(rootfs, "bin");
            Directory.CreateDirectory(bin);
            File.Copy("/bin/busybox", Path.Combine(bin, "busybox"));
            foreach (var applet in Sandbox.Run("/bin/busybox", ["--list"]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (applet != "busybox")
                    File.CreateSymbolicLink(Path.Combine(bin, applet), "busybox");
            }
            foreach (var d in new[] { "etc", "tmp", "root" })
                Directory.CreateDirectory(Path.Combine(rootfs, d));
            File.WriteAllText(Path.Combine(rootfs, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n");
            File.WriteAllText(Path.Combine(rootfs, "etc", "group"), "root:x:0:\nnobody:x:65534:\n");
            Tool("/usr/bin/umoci", "repack", "--image", image, bundle);
            Tool("/usr/bin/umoci", "config", "--image", image, "--config.cmd", "/bin/sh", "--config.env", "PATH=/bin", "--config.workingdir", "/");

            var load = Strata.Check("load", "-i", layout, "--format", "oci-dir");
            Assert.Contains($"Loaded image: {Name}", load, StringComparison.Ordinal);
            var entry = Strata.Image(Name);
            Id = entry.GetProperty("ID").GetString()!;
            ManifestDigest = entry.GetProperty("Digest").GetString()!;
            DockerArchive = Path.Combine(Dir, "busybox-docker.tar");
            OciArchive = Path.Combine(Dir, "busybox-oci.tar");
            Strata.Check("save", "-o", DockerArchive, Name);
            Strata.Check("save", "--format", "oci-archive", "-o", OciArchive, Name);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Dir { get; }
    /// <summary>The Strata store the image was loaded into.</summary>
    public StrataCli Strata { get; } = null!;
    /// <summary>The image ID: the config digest, "sha256:…".</summary>
    public string Id { get; } = "";
    public string ManifestDigest { get; } = "";
    /// <summary>`strata save` (default format, docker-archive).</summary>
    public string DockerArchive { get; } = "";
    /// <summary>`strata save --format oci-archive`.</summary>
    public string OciArchive { get; } = "";

    private static void Tool(string file, params string[] args)
    {
        if (!File.Exists(file))
            throw new InvalidOperationException($"{file} is missing: scripts/deps.sh installs it");
        var result = Sandbox.Run(file, args);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {result}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// `strata registry serve` as shipped, on a kernel-chosen loopback port (docker treats 127.0.0.0/8 as an
/// insecure registry, so plain HTTP works), with its own storage; killed and deleted on dispose.
/// </summary>
public sealed partial class StrataRegistry : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    public const string User = "interop";
    public const string Password = "pa55-w0rd";

    /// <param name="auth">none, htpasswd or token (docs/registry.md).</param>
    public StrataRegistry(string auth = "none")
    {
        Dir = Directory.CreateTempSubdirectory("strata-registry-").FullName;
        var args = new List<string> { StrataCli.Dll, "registry", "serve", "--listen", "127.0.0.1:0", "--storage", Path.Combine(Dir, "storage"), "--log-level", "Warning" };
        if (auth != "none")
        {
            var htpasswd = Path.Combine(Dir, "htpasswd");
            var entry = Sandbox.Run("/usr/bin/htpasswd", ["-Bbn", User, Password]);
            Assert.True(entry.ExitCode == 0, $"htpasswd (apt-get install apache2-utils): {entry}");
            File.WriteAllText(htpasswd, entry.Stdout.Trim() + "\n");
            args.AddRange(["--auth", auth, "--htpasswd", htpasswd]);
        }
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        _process = Process.Start(start)!;
        _stderr = _process.StandardError.ReadToEndAsync();
        // The first line that names the bound address (port 0: the kernel chose it); warnings may come first.
        var lines = new List<string>();
        Match? match = null;
        while (match is not { Success: true })
        {
            var line = _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
            if (line is null || lines.Count > 20)
            {
                var stderr = _process.HasExited ? _stderr.Result : "";
                Dispose();
                throw new InvalidOperationException($"strata registry serve did not start: {string.Join('\n', lines)} {stderr}");
            }
            lines.Add(line);
            match = ListeningLine().Match(line);
        }
        HostPort = match.Groups["hostport"].Value;
        _ = _process.StandardOutput.ReadToEndAsync();
    }

    public string Dir { get; }
    public string HostPort { get; } = "";

    [GeneratedRegex(@"listening on http://(?<hostport>127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
