using System.Diagnostics;
using Strata.Integration.Runtime;

namespace Strata.Integration.Interop;

/// <summary>
/// A private containerd (Debian's containerd) for the tests that run Strata under containerd with
/// `ctr run --runc-binary strata-runtime`. Its generated config puts root, state, the gRPC and ttrpc
/// sockets and the "opt" directory under one temporary directory, disables the CRI plugin (which would
/// want CNI and a network) and serves no metrics or debug socket. The tests use a unique namespace, so
/// every container cgroup is /NAMESPACE/ID, and pass --runc-root and --fifo-dir under the directory too.
/// Dispose always cleans up: it kills tasks, stops containerd and the shims, kills what is left in the
/// namespace's cgroups and removes them in every hierarchy, unmounts what is left under its directory and
/// deletes it.
/// </summary>
public sealed class ContainerdDaemon : IDisposable
{
    public const string Containerd = "/usr/bin/containerd";
    public const string Ctr = "/usr/bin/ctr";

    private readonly HashSet<string> _ids = [];
    /// <summary>containerd 1.6 puts shim sockets in /run/containerd/s whatever its config; removed again if this fixture created it and it is empty.</summary>
    private readonly List<string> _hostDirs = HostCleanup.NotYetExisting("/run/containerd/s", "/run/containerd");
    private Process? _containerd;
    private bool _disposed;

    public ContainerdDaemon()
    {
        if (Environment.UserName != "root")
            throw new InvalidOperationException("the containerd interop tests need root");
        foreach (var tool in new[] { Containerd, Ctr, "/usr/bin/containerd-shim-runc-v2" })
        {
            if (!File.Exists(tool))
                throw new InvalidOperationException($"{tool} is missing: apt-get install containerd (scripts/deps.sh installs it)");
        }
        Dir = Directory.CreateTempSubdirectory("strata-containerd-").FullName;
        Namespace = "strata-test-" + Guid.NewGuid().ToString("N")[..10];
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

    public string Dir { get; }
    public string Address => Path.Combine(Dir, "containerd.sock");
    public string Namespace { get; }
    /// <summary>ctr's default cgroup for a container is /NAMESPACE/ID.</summary>
    public string CgroupParent => "/" + Namespace;
    /// <summary>The --root strata-runtime gets from the shim (ctr run --runc-root).</summary>
    public string RuntimeRoot => Path.Combine(Dir, "runtime");
    public string FifoDir => Path.Combine(Dir, "fifo");
    public string Log => Path.Combine(Dir, "containerd.log");

    private void Start()
    {
        var config = Path.Combine(Dir, "config.toml");
        File.WriteAllText(config, $"""
            version = 2
            root = "{Dir}/root"
            state = "{Dir}/state"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]

            [grpc]
              address = "{Address}"

            [ttrpc]
              address = "{Address}.ttrpc"

            [debug]
              address = ""

            [metrics]
              address = ""

            [plugins."io.containerd.internal.v1.opt"]
              path = "{Dir}/opt"
            """);
        Directory.CreateDirectory(RuntimeRoot);
        Directory.CreateDirectory(FifoDir);
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true };
        foreach (var arg in new[] { "-c", "exec \"$@\" >>\"$LOG\" 2>&1", "sh", Containerd, "--config", config })
            start.ArgumentList.Add(arg);
        start.Environment["LOG"] = Log;
        _containerd = Process.Start(start)!;
        _containerd.StandardInput.Close();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (File.Exists(Address) && Run(TimeSpan.FromSeconds(10), "version") is { ExitCode: 0 })
                return;
            if (_containerd.HasExited)
                throw new InvalidOperationException($"containerd exited with {_containerd.ExitCode} while starting:\n{DockerDaemon.Tail(Log)}");
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"containerd did not answer on {Address} within 60 s:\n{DockerDaemon.Tail(Log)}");
            Thread.Sleep(250);
        }
    }

    private CommandResult Run(TimeSpan timeout, params string[] args) =>
        Sandbox.Run(Ctr, ["--address", Address, "--namespace", Namespace, .. args], null, timeout);

    /// <summary>ctr in another namespace of this containerd (for images only: containers there would escape the cgroup cleanup).</summary>
    public CommandResult CtrIn(string ns, params string[] args) =>
        Sandbox.Run(Ctr, ["--address", Address, "--namespace", ns, .. args], null, TimeSpan.FromSeconds(120));

    /// <summary>ctr against this containerd, in the test namespace.</summary>
    public CommandResult CtrRun(params string[] args) => Run(TimeSpan.FromSeconds(120), args);

    public string Check(params string[] args)
    {
        var result = CtrRun(args);
        Assert.True(result.ExitCode == 0, $"ctr {string.Join(' ', args)}: {result}");
        return result.Stdout;
    }

    /// <summary>A container id that cleanup will remove whatever the test does.</summary>
    public string NewId(string prefix)
    {
        var id = $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        lock (_ids)
            _ids.Add(id);
        return id;
    }

    /// <summary>The flags that make `ctr run` use strata-runtime with its state under this fixture.</summary>
    public string[] StrataRunFlags => ["--runc-binary", Runtimes.StrataPath, "--runc-root", RuntimeRoot, "--fifo-dir", FifoDir];

    private readonly Dictionary<string, CommandResult> _imported = [];

    /// <summary>`ctr image import ARCHIVE`, once per archive; the result is kept for the tests that assert on it.</summary>
    public CommandResult ImportOnce(string archive, params string[] flags)
    {
        lock (_imported)
        {
            if (!_imported.TryGetValue(archive, out var result))
            {
                result = CtrRun(["image", "import", .. flags, archive]);
                _imported[archive] = result;
            }
            return result;
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        var problems = new List<string>();
        if (_containerd is { HasExited: false })
        {
            foreach (var id in _ids)
            {
                try
                {
                    Run(TimeSpan.FromSeconds(20), "task", "kill", "-s", "SIGKILL", id);
                    Run(TimeSpan.FromSeconds(20), "task", "delete", "--force", id);
                    Run(TimeSpan.FromSeconds(20), "container", "delete", id);
                }
                catch (TimeoutException e)
                {
                    problems.Add(e.Message);
                }
            }
        }
        if (_containerd is not null)
        {
            HostCleanup.Stop([_containerd.Id], TimeSpan.FromSeconds(20));
            _containerd.Dispose();
        }
        // Shims outlive containerd by design (they name its address, so they are found by our directory).
        var stuck = HostCleanup.Stop(HostCleanup.ProcessesMentioning(Dir + "/"), TimeSpan.FromSeconds(10));
        if (stuck.Count > 0)
            problems.Add($"processes would not die: {string.Join(' ', stuck)}");
        var cgroups = HostCleanup.RemoveCgroupParent(CgroupParent);
        if (cgroups.Count > 0)
            problems.Add($"cgroups left: {string.Join(' ', cgroups)}");
        HostCleanup.RemoveShimSockets(Address, Namespace, _ids);
        var mounts = HostCleanup.UnmountUnder(Dir);
        if (mounts.Count > 0)
            problems.Add($"still mounted: {string.Join(' ', mounts)}");
        if (HostCleanup.DeleteTree(Dir) is { } deleteProblem)
            problems.Add(deleteProblem);
        HostCleanup.RemoveIfEmpty(_hostDirs);
        if (problems.Count > 0)
            throw new InvalidOperationException("containerd fixture cleanup left host state behind: " + string.Join("; ", problems));
    }
}

[CollectionDefinition(Name)]
public sealed class ContainerdCollection : ICollectionFixture<ContainerdDaemon>, ICollectionFixture<BusyboxImage>
{
    public const string Name = "containerd";
}
