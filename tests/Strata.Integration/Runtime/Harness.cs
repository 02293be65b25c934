using System.Diagnostics;
using Strata.Cgroups;
using Strata.Cgroups.Tests;
using Strata.Oci.Runtime;

namespace Strata.Integration.Runtime;

/// <summary>
/// The runtimes the integration tests drive through their command line, so every case compares Strata's
/// behaviour with runc's on the same bundle. Without runc its cases are skipped, visibly (a [Theory] that is
/// not a [SkippableTheory] fails instead), and test.sh under CI=true fails on any skip.
/// </summary>
public static class Runtimes
{
    public const string Strata = "strata";
    public const string Runc = "runc";

    public static IReadOnlyList<string> Names => [Strata, Runc];

    public static TheoryData<string> All => new(Names);

    public const string RuncPath = "/usr/sbin/runc";

    public static string PathOf(string name) => name switch
    {
        Strata => StrataPath,
        Runc => RuncPath,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>The NativeAOT strata-runtime: $STRATA_RUNTIME, else artifacts/bin of this checkout (built by test.sh).</summary>
    public static string StrataPath
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("STRATA_RUNTIME");
            if (!string.IsNullOrEmpty(fromEnv))
                return fromEnv;
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Strata.slnx")))
                dir = Path.GetDirectoryName(dir);
            var path = dir is null ? null : Path.Combine(dir, "artifacts", "bin", "strata-runtime");
            if (path is null || !File.Exists(path))
                throw new InvalidOperationException("strata-runtime not found: run ./test.sh (it publishes artifacts/bin/strata-runtime) or set STRATA_RUNTIME");
            return path;
        }
    }
}

public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// One test's world: a state root, busybox bundles and the containers made in them. Dispose removes
/// every container (delete --force), its cgroups and the directories, even when the test failed.
/// </summary>
public sealed class Sandbox : IDisposable
{
    private static readonly string[] Applets = ListApplets();
    private readonly List<string> _ids = [];

    /// <param name="asUser">Run the runtime as this unprivileged uid (and gid), rootless: bundles then come from
    /// `spec --rootless` mapping that id, and the sandbox directory belongs to it.</param>
    public Sandbox(string runtime, uint? asUser = null)
    {
        if (Environment.UserName != "root")
            throw new InvalidOperationException("the runtime integration tests need root (real namespaces and cgroups)");
        Runtime = runtime;
        Binary = Runtimes.PathOf(runtime);
        Skip.If(runtime == Runtimes.Runc && !File.Exists(Binary), $"{Binary} is missing (scripts/deps.sh installs runc): the comparison with runc is not run");
        Dir = Directory.CreateTempSubdirectory("strata-it-").FullName;
        Root = Path.Combine(Dir, "state");
        CgroupPrefix = "/strata-it-" + Path.GetFileName(Dir)[10..];
        AsUser = asUser;
        if (asUser is not null)
            ChownTree(Dir, asUser.Value);
    }

    public uint? AsUser { get; }

    /// <summary>
    /// Gives <paramref name="path"/> and everything below to <paramref name="uid"/> (as its gid too), and
    /// lets others traverse the sandbox: a container whose root is a mapped id must reach its bundle.
    /// </summary>
    public void ChownTree(string path, uint uid)
    {
        File.SetUnixFileMode(Dir, (UnixFileMode)0x1ED /* 0755 */);
        var r = Run("/bin/chown", ["-R", "-h", $"{uid}:{uid}", path]);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    /// <summary>The command line that runs <paramref name="file"/> as <see cref="AsUser"/> when set.</summary>
    private (string File, string[] Args) AsCaller(string file, string[] args) =>
        AsUser is { } uid
            ? ("/usr/bin/setpriv", [$"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--", file, .. args])
            : (file, args);

    public string Runtime { get; }
    public string Binary { get; }
    public string Dir { get; }
    public string Root { get; }
    /// <summary>Each container's cgroup is CgroupPrefix/ID, so leftovers are easy to find.</summary>
    public string CgroupPrefix { get; }

    public bool IsStrata => Runtime == Runtimes.Strata;

    public string NewId(string prefix = "c")
    {
        var id = $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        _ids.Add(id);
        return id;
    }

    /// <summary>A busybox bundle with a config like `runc spec` made non-interactive and writable.</summary>
    public string Bundle(string id, Action<Spec>? configure = null, params string[] args)
    {
        var bundle = Path.Combine(Dir, "bundle-" + id);
        var rootfs = Path.Combine(bundle, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        foreach (var applet in Applets)
        {
            var link = Path.Combine(rootfs, "bin", applet);
            if (!File.Exists(link))
                File.CreateSymbolicLink(link, "busybox");
        }
        foreach (var d in new[] { "proc", "sys", "dev", "tmp", "etc", "root" })
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        File.WriteAllText(Path.Combine(rootfs, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
        File.WriteAllText(Path.Combine(rootfs, "etc", "group"), "root:x:0:\nnobody:x:65534:\n");

        var spec = AsUser is { } uid ? DefaultSpec.CreateRootless(uid, uid) : DefaultSpec.Create();
        spec.Process!.Terminal = false;
        spec.Process.Args = args.Length > 0 ? [.. args] : ["true"];
        spec.Root!.Readonly = false;
        // Rootless without a delegated cgroup tree, runtimes run the container in the caller's cgroup only
        // when config.json names none.
        spec.Linux!.CgroupsPath = AsUser is null ? $"{CgroupPrefix}/{id}" : null;
        configure?.Invoke(spec);
        File.WriteAllText(Path.Combine(bundle, "config.json"), SpecLoader.Serialize(spec));
        // In a user namespace the container's root is the host id mapped to 0: the rootfs is its own, as an
        // engine would prepare it (chown or idmapped layers).
        if (spec.Linux?.UidMappings is [{ ContainerID: 0 } root, ..])
            ChownTree(bundle, root.HostID);
        return bundle;
    }

    /// <summary>Runs the runtime with the given arguments after --root; stdout and stderr captured.</summary>
    public CommandResult Exec(params string[] args)
    {
        var (file, argv) = AsCaller(Binary, ["--root", Root, .. args]);
        return Run(file, argv);
    }

    /// <summary>Runs a command with stdio on files, for create/run -d: the container keeps them open.</summary>
    public CommandResult ExecDetached(params string[] args)
    {
        var outFile = Path.Combine(Dir, $"out-{Guid.NewGuid():N}");
        var errFile = outFile + ".err";
        var (file, argv) = AsCaller(Binary, ["--root", Root, .. args]);
        var result = Run("/bin/sh", ["-c", "exec \"$@\" >\"$OUT\" 2>\"$ERR\" </dev/null", "sh", file, .. argv],
            env: new() { ["OUT"] = outFile, ["ERR"] = errFile });
        return result with { Stdout = File.ReadAllText(outFile), Stderr = File.ReadAllText(errFile) };
    }

    /// <summary>Creates the bundle and runs the container in the foreground.</summary>
    public CommandResult RunContainer(Action<Spec>? configure, params string[] args)
    {
        var id = NewId();
        var bundle = Bundle(id, configure, args);
        return Exec("run", "--bundle", bundle, id);
    }

    /// <summary>create + start of a container running `sleep`, left running for the test to inspect.</summary>
    public (string Id, int Pid) StartSleeper(Action<Spec>? configure = null, string? id = null)
    {
        id ??= NewId("sleeper");
        var bundle = Bundle(id, configure, "sleep", "1000");
        var created = ExecDetached("create", "--bundle", bundle, id);
        Assert.True(created.ExitCode == 0, $"create failed: {created}");
        var started = Exec("start", id);
        Assert.True(started.ExitCode == 0, $"start failed: {started}");
        return (id, PidOf(id));
    }

    public int PidOf(string id)
    {
        var state = Exec("state", id);
        Assert.True(state.ExitCode == 0, state.ToString());
        using var doc = System.Text.Json.JsonDocument.Parse(state.Stdout);
        return doc.RootElement.GetProperty("pid").GetInt32();
    }

    public string StatusOf(string id)
    {
        var state = Exec("state", id);
        Assert.True(state.ExitCode == 0, state.ToString());
        using var doc = System.Text.Json.JsonDocument.Parse(state.Stdout);
        return doc.RootElement.GetProperty("status").GetString()!;
    }

    /// <summary>
    /// The container's cgroup on this host, legacy, hybrid or pure v2, found through Strata.Cgroups' host
    /// detection: each setting by the file name it has here.
    /// </summary>
    public ContainerCgroup Cgroup(string id) => ContainerCgroup.OnThisHost($"{CgroupPrefix}/{id}");

    /// <summary>The container's cgroup directory in the hierarchy that serves <paramref name="controller"/>.</summary>
    public string CgroupDir(string controller, string id) =>
        Cgroup(id).DirectoryOf(controller) ?? throw new InvalidOperationException($"this host has no {controller} cgroup controller");

    /// <summary>Where a process in a container (own cgroup namespace) finds <paramref name="file"/> of <paramref name="controller"/>.</summary>
    public static string CgroupFileInContainer(string controller, string file)
    {
        var host = CgroupHost.Detect();
        return ContainerCgroup.InContainer(host, ContainerCgroup.UnifiedControllersOf(host), controller, file);
    }

    /// <summary>
    /// The host's mounts that involve this sandbox (its bundles, its state): other test assemblies mount and
    /// unmount concurrently, so counting every mount would compare their work, not ours.
    /// </summary>
    public int HostMountsUnderSandbox() =>
        File.ReadAllLines("/proc/self/mountinfo").Count(l => l.Contains(Dir, StringComparison.Ordinal));

    /// <summary>The hierarchies in which the container's cgroup directory still exists.</summary>
    public static List<string> LeftoverCgroups(string prefix, string id) =>
        CgroupHost.Detect().Hierarchies
            .Select(h => h.DirectoryOf($"{prefix}/{id}"))
            .Where(Directory.Exists)
            .ToList();

    public List<string> LeftoverCgroups(string id) => LeftoverCgroups(CgroupPrefix, id);

    public static CommandResult Run(string file, IReadOnlyList<string> args, Dictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? [])
            start.Environment[k] = v;
        using var p = System.Diagnostics.Process.Start(start)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        p.WaitForExit();
        return new CommandResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string[] ListApplets() =>
        Run("/bin/busybox", ["--list"]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public void Dispose()
    {
        foreach (var id in _ids)
        {
            try
            {
                Exec("delete", "--force", id);
            }
            catch (Exception)
            {
                // keep cleaning
            }
        }
        foreach (var dir in CgroupHost.Detect().Hierarchies.Select(h => h.DirectoryOf(CgroupPrefix)).Where(Directory.Exists))
        {
            foreach (var sub in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).OrderByDescending(s => s.Length).Append(dir))
            {
                try { Directory.Delete(sub); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
