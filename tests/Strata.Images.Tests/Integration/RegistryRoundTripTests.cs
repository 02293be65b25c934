using System.Security.Cryptography;
using System.Text.Json;
using Strata.Linux;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Integration;

/// <summary>End to end through the `strata` command against the CNCF registry, checked with skopeo.</summary>
[Collection(RegistryCollection.Name)]
public sealed class RegistryRoundTripTests : IDisposable
{
    private readonly RegistryFixture _registry;
    private readonly TempDir _temp = new();

    public RegistryRoundTripTests(RegistryFixture registry) => _registry = registry;

    // TempDir unmounts what a test that failed mid-run left mounted under it.
    public void Dispose() => _temp.Dispose();

    private string StoreRoot => _temp.Combine("root");

    private Tool.Result Strata(params string[] args) =>
        Tool.Exec("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "strata.dll"), "--root", StoreRoot, "--tls-verify=false", "--authfile", _temp.Combine("auth.json"), .. args],
            new Dictionary<string, string> { ["HOME"] = _temp.Path });

    private static byte[] SkopeoRaw(string image, params string[] extra) =>
        System.Text.Encoding.UTF8.GetBytes(Tool.Run("skopeo", ["inspect", "--tls-verify=false", .. extra, "--raw", $"docker://{image}"]));

    private static void AssertOk(Tool.Result r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\nstdout: {r.Stdout}\nstderr: {r.Stderr}");

    [Fact]
    public void Pull_PushedBySkopeo_ManifestBytesAndBlobsMatch()
    {
        var pull = Strata("pull", _registry.OpenImage);
        AssertOk(pull);
        var raw = SkopeoRaw(_registry.OpenImage);
        var digest = Digest.Compute(raw);
        var stored = File.ReadAllBytes(Path.Combine(StoreRoot, "blobs", "sha256", digest.Encoded));
        Assert.Equal(raw, stored);

        var image = Assert.Single(StrataCli.JsonLines(Strata(StrataCli.ImagesJson)));
        Assert.Equal(digest.ToString(), image.GetProperty("Digest").GetString());

        var manifest = JsonSerializer.Deserialize(raw, ImageJsonContext.Default.Manifest)!;
        foreach (var blob in manifest.Layers!.Append(manifest.Config!))
        {
            var bytes = File.ReadAllBytes(Path.Combine(StoreRoot, "blobs", "sha256", blob.Digest.Encoded));
            Assert.Equal(blob.Digest, Digest.Compute(bytes));
        }
    }

    [Fact]
    public void Pull_Twice_SkipsBlobsAlreadyPresent()
    {
        AssertOk(Strata("pull", _registry.OpenImage));
        var again = Strata("pull", _registry.OpenImage);
        AssertOk(again);
        Assert.Contains("Already exists", again.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Pull complete", again.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Pull_UnknownTag_FailsWithManifestUnknown()
    {
        var r = Strata("pull", $"{_registry.OpenHost}/{RegistryFixture.Repository}:nope");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"Error response from daemon: manifest for {_registry.OpenHost}/{RegistryFixture.Repository}:nope not found: manifest unknown", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(StoreRoot, "ingest")));
    }

    [Fact]
    public void Push_ByStrata_SkopeoSeesSameDigestAndCanCopyBack()
    {
        AssertOk(Strata("pull", _registry.OpenImage));
        var destination = $"{_registry.OpenHost}/pushed/by-strata:v2";
        var push = Strata("push", _registry.OpenImage, destination);
        AssertOk(push);
        Assert.Contains($"Mounted from {RegistryFixture.Repository}", push.Stdout, StringComparison.Ordinal);
        Assert.Equal(SkopeoRaw(_registry.OpenImage), SkopeoRaw(destination));

        // A push to another registry uploads every blob; skopeo copies it back out intact.
        var elsewhere = $"{_registry.AuthHost}/pushed/upload:v3";
        AssertOk(Strata("login", _registry.AuthHost, "-u", RegistryFixture.User, "-p", RegistryFixture.Password));
        var upload = Strata("push", _registry.OpenImage, elsewhere);
        AssertOk(upload);
        Assert.Contains("Pushed", upload.Stdout, StringComparison.Ordinal);
        var creds = $"{RegistryFixture.User}:{RegistryFixture.Password}";
        Assert.Equal(SkopeoRaw(_registry.OpenImage), SkopeoRaw(elsewhere, "--creds", creds));
        Tool.Run("skopeo", "copy", "--src-tls-verify=false", "--src-creds", creds, $"docker://{elsewhere}", $"oci:{_temp.Combine("copy")}:v3");
    }

    [Fact]
    public void Login_BasicAuthRegistry_RequiredAndChecked()
    {
        var image = $"{_registry.AuthHost}/{RegistryFixture.Repository}:{RegistryFixture.Tag}";
        var anonymous = Strata("pull", image);
        Assert.Equal(1, anonymous.ExitCode);
        Assert.Contains("strata login", anonymous.Stderr, StringComparison.Ordinal);

        var wrong = Strata("login", _registry.AuthHost, "-u", RegistryFixture.User, "-p", "wrong");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains($"Error response from daemon: login attempt to http://{_registry.AuthHost}/v2/ failed with status: 401 Unauthorized", wrong.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.Combine("auth.json")));

        AssertOk(Strata("login", _registry.AuthHost, "-u", RegistryFixture.User, "-p", RegistryFixture.Password));
        Assert.Contains(_registry.AuthHost, File.ReadAllText(_temp.Combine("auth.json")), StringComparison.Ordinal);
        AssertOk(Strata("pull", image));
        Assert.Equal(Digest.Compute(SkopeoRaw(image, "--creds", $"{RegistryFixture.User}:{RegistryFixture.Password}")).ToString(),
            StrataCli.JsonLines(Strata(StrataCli.ImagesJson))[0].GetProperty("Digest").GetString());
    }

    [Fact]
    public void TagRmiPrune_RemoveNamesThenContent()
    {
        AssertOk(Strata("pull", _registry.OpenImage));
        AssertOk(Strata("tag", _registry.OpenImage, "localhost/alias:x"));
        Assert.Equal(2, StrataCli.JsonLines(Strata(StrataCli.ImagesJson)).Count);
        var rmi = Strata("rmi", "localhost/alias:x");
        AssertOk(rmi);
        Assert.DoesNotContain("Deleted", rmi.Stdout, StringComparison.Ordinal);
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(StoreRoot, "blobs", "sha256")));
        AssertOk(Strata("rmi", _registry.OpenImage));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(StoreRoot, "blobs", "sha256")));
        AssertOk(Strata("image", "prune", "-f"));
    }

    [SkippableFact]
    public void Run_Busybox_OutputAndExitCodePassedThrough()
    {
        Skip.IfNot(Sys.EffectiveUserId == 0, "needs root: overlay mounts and the runtime");
        AssertOk(Strata("pull", _registry.OpenImage));
        var run = Strata("run", "--rm", "-e", "GREETING=hello", "-w", "/work", _registry.OpenImage, "sh", "-c", "echo $GREETING from $(pwd); exit 3");
        Assert.True(run.ExitCode == 3, $"exit {run.ExitCode}: {run.Stdout} {run.Stderr}");
        Assert.Equal("hello from /work\n", run.Stdout);
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(_temp.Path, StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(StoreRoot, "containers")));
        // The layer was unpacked once into a shared snapshot.
        Assert.Single(Directory.EnumerateDirectories(Path.Combine(StoreRoot, "snapshots")));
    }

    [SkippableFact]
    public void Run_NamedWithoutRm_PsShowsExitedThenRmCleansUp()
    {
        Skip.IfNot(Sys.EffectiveUserId == 0, "needs root: overlay mounts and the runtime");
        var hostDir = _temp.Combine("host");
        Directory.CreateDirectory(hostDir);
        File.WriteAllText(Path.Combine(hostDir, "in.txt"), "from host\n");
        var run = Strata("run", "--name", "keeper", "-u", "nobody", "--read-only", "-v", $"{hostDir}:/data:ro", _registry.OpenImage,
            "sh", "-c", "cat /data/in.txt; id -u; touch /x 2>/dev/null || echo ro");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stdout} {run.Stderr}");
        Assert.Equal("from host\n65534\nro\n", run.Stdout);
        var ps = Strata("ps", "-a");
        AssertOk(ps);
        Assert.Contains("keeper", ps.Stdout, StringComparison.Ordinal);
        Assert.Contains("Exited (0)", ps.Stdout, StringComparison.Ordinal);
        var rmi = Strata("rmi", _registry.OpenImage);
        Assert.Equal(1, rmi.ExitCode); // in use by the container
        Assert.Contains("must force", rmi.Stderr, StringComparison.Ordinal);
        AssertOk(Strata("rm", "keeper"));
        Assert.DoesNotContain("keeper", Strata("ps", "-a").Stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(StoreRoot, "containers")));
    }

    /// <summary>The strata command line as one shell string, for `script -c` and pipes.</summary>
    private string StrataShell(params string[] args) =>
        string.Join(' ', new[] { "dotnet", Path.Combine(AppContext.BaseDirectory, "strata.dll"), "--root", StoreRoot, "--tls-verify=false", "--authfile", _temp.Combine("auth.json") }
            .Concat(args).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));

    private Tool.Result Shell(string command, params string[] positional) =>
        Tool.Exec("/bin/sh", ["-c", command, .. positional], new Dictionary<string, string> { ["HOME"] = _temp.Path });

    [SkippableFact]
    public void Run_Tty_ContainerGetsATerminalProxiedToTheCaller()
    {
        Skip.IfNot(Sys.EffectiveUserId == 0, "needs root: overlay mounts and the runtime");
        AssertOk(Strata("pull", _registry.OpenImage));
        // script(1) is the caller's terminal: strata's stdio is a pty, as in an interactive shell.
        var run = Shell("exec script -qec \"$0\" /dev/null </dev/null", StrataShell("run", "--rm", "-t", _registry.OpenImage,
            "sh", "-c", "tty; [ -t 0 ] && [ -t 1 ] && echo all-tty; echo TERM=$TERM; exit 3"));
        Assert.True(run.ExitCode == 3, $"exit {run.ExitCode}: {run.Stdout} {run.Stderr}");
        var lines = run.Stdout.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        Assert.Contains("/dev/pts/0", lines);
        Assert.Contains("all-tty", lines);
        Assert.Contains("TERM=xterm", lines);
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(StoreRoot, "containers")));
        // No container's state is left; the runtime's compiled seccomp programs (@seccomp) are kept by design.
        Assert.Equal(["@seccomp"], Directory.EnumerateDirectories(Path.Combine(StoreRoot, "runtime")).Select(Path.GetFileName));
    }

    [SkippableFact]
    public void Run_InteractiveTty_InputReachesTheContainer()
    {
        Skip.IfNot(Sys.EffectiveUserId == 0, "needs root: overlay mounts and the runtime");
        AssertOk(Strata("pull", _registry.OpenImage));
        var run = Shell("printf 'typed\\n' | script -qec \"$0\" /dev/null", StrataShell("run", "--rm", "-i", "-t", _registry.OpenImage,
            "sh", "-c", "read a; echo got:$a; exit 4"));
        Assert.True(run.ExitCode == 4, $"exit {run.ExitCode}: {run.Stdout} {run.Stderr}");
        Assert.Contains("got:typed", run.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// -it in front of a terminal (a pty of the test's own): raw while the container runs, the container's
    /// terminal sized like the caller's and resized on SIGWINCH, modes restored after.
    /// </summary>
    [SkippableFact]
    public void Run_InteractiveTty_CallersTerminalRawResizedAndRestored()
    {
        Skip.IfNot(Sys.EffectiveUserId == 0, "needs root: overlay mounts and the runtime");
        AssertOk(Strata("pull", _registry.OpenImage));
        var (master, slavePath) = Pty.OpenMaster();
        using var _ = master;
        // Held open so the master does not read EIO before strata opens the slave.
        using var slave = Sys.Open(slavePath, OpenFlags.ReadWrite | (OpenFlags)0x100 /* O_NOCTTY */);
        Pty.SetWindowSize(master, new WindowSize(24, 90));
        string Stty(string flag) => Tool.Run("stty", "-F", slavePath, flag);
        var modesBefore = Stty("-g");
        var output = new System.Text.StringBuilder();
        var reader = new Thread(() =>
        {
            var buffer = new byte[4096];
            try
            {
                int n;
                while ((n = Sys.Read(master, buffer)) > 0)
                {
                    lock (output)
                    {
                        output.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
                    }
                }
            }
            catch (SyscallException)
            {
            }
        }) { IsBackground = true };
        reader.Start();
        string Text()
        {
            lock (output)
            {
                return output.ToString().Replace("\r", "", StringComparison.Ordinal);
            }
        }
        void WaitFor(string what) => Assert.True(SpinWait.SpinUntil(() => Text().Contains(what, StringComparison.Ordinal), 30_000), $"no \"{what}\" in:\n{Text()}");

        var info = new System.Diagnostics.ProcessStartInfo("/bin/sh") { RedirectStandardInput = true };
        foreach (var a in new[] { "-c", "exec \"$@\" <\"$TTY\" >\"$TTY\" 2>\"$TTY\"", "sh", "dotnet", Path.Combine(AppContext.BaseDirectory, "strata.dll"),
            "--root", StoreRoot, "run", "--rm", "-i", "-t", _registry.OpenImage, "sh", "-c", "stty size; read a; stty size; echo got:$a; exit 2" })
        {
            info.ArgumentList.Add(a);
        }
        info.Environment["TTY"] = slavePath;
        info.Environment["HOME"] = _temp.Path;
        using var strata = System.Diagnostics.Process.Start(info)!;
        try
        {
            WaitFor("24 90\n");
            Assert.Contains("-icanon", Stty("-a"), StringComparison.Ordinal);
            Pty.SetWindowSize(master, new WindowSize(50, 150));
            Sys.Kill(strata.Id, Signals.SIGWINCH);
            Thread.Sleep(500);
            Sys.WriteAll(master, "go\n"u8);
            WaitFor("got:go");
            Assert.True(strata.WaitForExit(30_000), Text());
            Assert.Equal(2, strata.ExitCode);
            Assert.Contains("50 150\ngot:go", Text(), StringComparison.Ordinal);
            Assert.Equal(modesBefore, Stty("-g"));
        }
        finally
        {
            if (!strata.HasExited)
            {
                strata.Kill(entireProcessTree: true);
            }
        }
    }

    [SkippableFact]
    public void Run_Interactive_StdinAttachedOnlyWithI()
    {
        Skip.IfNot(Sys.EffectiveUserId == 0, "needs root: overlay mounts and the runtime");
        AssertOk(Strata("pull", _registry.OpenImage));
        var attached = Shell("echo piped | " + StrataShell("run", "--rm", "-i", _registry.OpenImage, "sh", "-c", "cat; [ -t 0 ] || echo not-a-tty"));
        AssertOk(attached);
        Assert.Equal("piped\nnot-a-tty\n", attached.Stdout);
        var detached = Shell("echo piped | " + StrataShell("run", "--rm", _registry.OpenImage, "cat"));
        AssertOk(detached);
        Assert.Equal("", detached.Stdout);
    }

    [Fact]
    public void Pull_ConfigDigestIsReproducibleImageId()
    {
        AssertOk(Strata("pull", "-q", _registry.OpenImage));
        var id = Strata("images", "-q").Stdout.Trim();
        var raw = SkopeoRaw(_registry.OpenImage);
        var manifest = JsonSerializer.Deserialize(raw, ImageJsonContext.Default.Manifest)!;
        Assert.Equal(manifest.Config!.Digest.Encoded[..12], id);
        Assert.Equal(64, Convert.ToHexStringLower(SHA256.HashData(raw)).Length);
    }
}
