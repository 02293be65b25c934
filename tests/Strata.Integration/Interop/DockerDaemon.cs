using System.Diagnostics;
using Strata.Integration.Runtime;

namespace Strata.Integration.Interop;

/// <summary>
/// A private dockerd (Debian's docker.io) with strata-runtime registered as the runtime "strata", for the
/// tests that show Strata under docker. Everything it owns is under one temporary directory: data root,
/// exec root (where its containerd, shims and the runtimes' state live), socket, pid file, daemon config,
/// trust key and the docker CLI's config. It uses its own containerd namespace and cgroup parent, no
/// bridge, no iptables, no ip_forward or masquerading, so it changes no host-wide setting and can run
/// next to another dockerd. Dispose always cleans up, even after a failed start or failed tests: it
/// removes containers, stops dockerd, its containerd and any shim, kills what is left in its cgroup parent
/// and removes it in every hierarchy, unmounts what is left under its directory and deletes the directory.
/// </summary>
public sealed class DockerDaemon : IDisposable
{
    public const string Dockerd = "/usr/sbin/dockerd";
    /// <summary>The CLI of the same docker.io package that scripts/deps.sh installs.</summary>
    public const string Cli = "/usr/bin/docker";

    /// <summary>
    /// dockerd hard-codes its plugin sockets' directory (a socket path must be short), and containerd the
    /// directory of its shims' sockets: both are created whatever the flags, and removed again if this
    /// fixture created them and they are empty.
    /// </summary>
    private readonly List<string> _hostDirs = HostCleanup.NotYetExisting("/run/docker/plugins", "/run/docker", "/run/containerd/s", "/run/containerd");
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..10];
    private Process? _dockerd;
    private bool _disposed;

    public DockerDaemon()
    {
        if (Environment.UserName != "root")
            throw new InvalidOperationException("the docker interop tests need root (dockerd)");
        foreach (var tool in new[] { Dockerd, Cli, "/usr/bin/containerd", "/usr/bin/containerd-shim-runc-v2", Runtimes.RuncPath })
        {
            if (!File.Exists(tool))
                throw new InvalidOperationException($"{tool} is missing: apt-get install docker.io containerd runc (scripts/deps.sh installs them)");
        }
        Dir = Directory.CreateTempSubdirectory("strata-docker-").FullName;
        Namespace = "strata-test-" + _suffix;
        CgroupParent = "/strata-docker-" + _suffix;
        try
        {
            Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The directory everything of this daemon lives under.</summary>
    public string Dir { get; }
    public string Socket => Path.Combine(Dir, "docker.sock");
    public string ExecRoot => Path.Combine(Dir, "exec");
    /// <summary>The containerd namespace dockerd uses in the containerd it spawns.</summary>
    public string Namespace { get; }
    /// <summary>Every container's cgroup is CgroupParent/ID in each hierarchy.</summary>
    public string CgroupParent { get; }
    public string Log => Path.Combine(Dir, "dockerd.log");
    public string StrataRuntime { get; } = Runtimes.StrataPath;

    private void Start()
    {
        // Our own config file, so the host's /etc/docker/daemon.json does not matter; the trust key (a
        // config-file-only setting in 20.10) would otherwise be written to /etc/docker/key.json.
        File.WriteAllText(Path.Combine(Dir, "daemon.json"), $$"""{"deprecated-key-path": "{{Path.Combine(Dir, "key.json")}}"}""");
        Directory.CreateDirectory(Path.Combine(Dir, "cli"));
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true };
        foreach (var arg in new[]
        {
            "-c", "exec \"$@\" >>\"$LOG\" 2>&1", "sh", Dockerd,
            "--config-file", Path.Combine(Dir, "daemon.json"),
            "--data-root", Path.Combine(Dir, "data"),
            "--exec-root", ExecRoot,
            "--pidfile", Path.Combine(Dir, "docker.pid"),
            "-H", "unix://" + Socket,
            "--containerd-namespace", Namespace,
            "--containerd-plugins-namespace", Namespace + "-plugins",
            "--cgroup-parent", CgroupParent,
            "--exec-opt", "native.cgroupdriver=cgroupfs",
            "--storage-driver", "overlay2",
            "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false",
            "--userland-proxy=false",
            "--add-runtime", "strata=" + StrataRuntime,
        })
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["LOG"] = Log;
        _dockerd = Process.Start(start)!;
        _dockerd.StandardInput.Close();

        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (File.Exists(Socket) && Docker("version", "--format", "{{.Server.Version}}") is { ExitCode: 0 })
                return;
            if (_dockerd.HasExited)
                throw new InvalidOperationException($"dockerd exited with {_dockerd.ExitCode} while starting:\n{Tail(Log)}");
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"dockerd did not answer on {Socket} within 90 s:\n{Tail(Log)}");
            Thread.Sleep(250);
        }
    }

    /// <summary>The docker CLI against this daemon, with its own config directory (logins stay here).</summary>
    public CommandResult Docker(params string[] args) => DockerWithTimeout(TimeSpan.FromSeconds(180), args);

    public CommandResult DockerWithTimeout(TimeSpan timeout, params string[] args) =>
        Sandbox.Run(Cli, ["--config", Path.Combine(Dir, "cli"), "-H", "unix://" + Socket, .. args], new() { ["DOCKER_HOST"] = "" }, timeout);

    /// <summary>Like <see cref="Docker"/> but asserts exit code 0 and returns stdout.</summary>
    public string Check(params string[] args)
    {
        var result = Docker(args);
        Assert.True(result.ExitCode == 0, $"docker {string.Join(' ', args)}: {result}");
        return result.Stdout;
    }

    private readonly Dictionary<string, CommandResult> _loaded = [];

    /// <summary>`docker load -i ARCHIVE`, once per archive per daemon; the result is kept for the tests that assert on it.</summary>
    public CommandResult LoadOnce(string archive)
    {
        lock (_loaded)
        {
            if (!_loaded.TryGetValue(archive, out var result))
            {
                result = Docker("load", "-i", archive);
                _loaded[archive] = result;
            }
            return result;
        }
    }

    /// <summary>
    /// The --root docker's shim passes to every runtime, strata-runtime included: EXEC_ROOT/runtime-runc/NAMESPACE
    /// (dockerd 20.10 names the directory after its default runtime whichever runtime a container uses).
    /// </summary>
    public string RuntimeStateRoot => Path.Combine(ExecRoot, "runtime-runc", Namespace);

    public static string Tail(string file, int lines = 40)
    {
        try
        {
            return string.Join('\n', File.ReadLines(file).TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"({file}: {e.Message})";
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        var problems = new List<string>();
        var ids = new List<string>();
        if (_dockerd is { HasExited: false } && File.Exists(Socket))
        {
            try
            {
                var ps = DockerWithTimeout(TimeSpan.FromSeconds(30), "ps", "-aq", "--no-trunc");
                ids.AddRange(ps.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                if (ids.Count > 0)
                {
                    var rm = DockerWithTimeout(TimeSpan.FromSeconds(60), ["rm", "-f", .. ids]);
                    if (rm.ExitCode != 0)
                        problems.Add($"docker rm -f: {rm.Stderr.Trim()}");
                }
            }
            catch (TimeoutException e)
            {
                problems.Add(e.Message);
            }
        }
        // dockerd first (it stops its containerd on SIGTERM), then whatever still names our directory:
        // its containerd if dockerd died first, shims of containers docker could not remove.
        if (_dockerd is not null)
        {
            HostCleanup.Stop([_dockerd.Id], TimeSpan.FromSeconds(20));
            _dockerd.Dispose();
        }
        var stuck = HostCleanup.Stop(HostCleanup.ProcessesMentioning(Dir + "/"), TimeSpan.FromSeconds(10));
        if (stuck.Count > 0)
            problems.Add($"processes would not die: {string.Join(' ', stuck)}");
        var cgroups = HostCleanup.RemoveCgroupParent(CgroupParent);
        if (cgroups.Count > 0)
            problems.Add($"cgroups left: {string.Join(' ', cgroups)}");
        HostCleanup.RemoveShimSockets(Path.Combine(ExecRoot, "containerd", "containerd.sock"), Namespace, ids);
        var mounts = HostCleanup.UnmountUnder(Dir);
        if (mounts.Count > 0)
            problems.Add($"still mounted: {string.Join(' ', mounts)}");
        if (HostCleanup.DeleteTree(Dir) is { } deleteProblem)
            problems.Add(deleteProblem);
        HostCleanup.RemoveIfEmpty(_hostDirs);
        if (problems.Count > 0)
            throw new InvalidOperationException("docker fixture cleanup left host state behind: " + string.Join("; ", problems));
    }
}

[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerDaemon>, ICollectionFixture<BusyboxImage>
{
    public const string Name = "docker";
}
