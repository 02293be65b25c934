using System.Text.RegularExpressions;
using Strata.Integration.Runtime;

namespace Strata.Integration.Interop;

/// <summary>
/// Strata under containerd: a private containerd (see <see cref="ContainerdDaemon"/>) whose runc shim runs
/// strata-runtime (`ctr run --runc-binary`), with images imported from `strata save` archives.
/// </summary>
[Collection(ContainerdCollection.Name)]
public sealed class ContainerdTests
{
    private const string Imported = "localhost/strata-busybox:1";
    private readonly ContainerdDaemon _containerd;
    private readonly BusyboxImage _image;

    public ContainerdTests(ContainerdDaemon containerd, BusyboxImage image)
    {
        _containerd = containerd;
        _image = image;
        var import = _containerd.ImportOnce(_image.DockerArchive);
        Assert.True(import.ExitCode == 0, $"ctr image import of the strata save archive failed: {import}");
    }

    private CommandResult CtrRun(string id, params string[] args) =>
        _containerd.CtrRun(["run", "--rm", .. _containerd.StrataRunFlags, Imported, id, .. args]);

    [Fact]
    public void CtrImport_StrataDockerArchive_NamedAndRuns()
    {
        var list = _containerd.Check("image", "list");
        Assert.Matches($@"(?m)^{Regex.Escape(Imported)}\s", list);
        // The config digest is the image ID whichever archive carried it.
        Assert.Contains("\"/bin/sh\"", _containerd.Check("content", "get", _image.Id), StringComparison.Ordinal);
        var run = CtrRun(_containerd.NewId("imported"), "true");
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Fact]
    public void CtrImport_StrataOciArchive_SameManifestDigestAndName()
    {
        // A namespace of its own, so this import does not replace the docker-archive one the other tests run.
        var ns = _containerd.Namespace + "-oci";
        var import = _containerd.CtrIn(ns, "image", "import", _image.OciArchive);
        Assert.True(import.ExitCode == 0, import.ToString());
        var list = _containerd.CtrIn(ns, "image", "list");
        var line = list.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith(Imported + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"strata's io.containerd.image.name annotation did not name the image {Imported}:\n{list}");
        Assert.Contains(_image.ManifestDigest, line, StringComparison.Ordinal);
    }

    [Fact]
    public void CtrRun_StrataRuntime_OutputAndExitCode()
    {
        var id = _containerd.NewId("run");
        var result = CtrRun(id, "sh", "-c", "echo hello from strata under containerd; echo $PATH; exit 9");
        Assert.True(result.ExitCode == 9, result.ToString());
        Assert.Equal("hello from strata under containerd\n/bin\n", result.Stdout);
        var ok = CtrRun(_containerd.NewId("ok"), "true");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        // --rm took the container and its cgroup away.
        Assert.DoesNotContain(id, _containerd.Check("container", "list", "-q"), StringComparison.Ordinal);
        Assert.Equal([], HostCleanup.CgroupDirs($"{_containerd.CgroupParent}/{id}"));
    }

    [Fact]
    public void CtrRun_EnvCwdAndCgroups_SameAsRunc()
    {
        string Run(string id, params string[] runtimeFlags)
        {
            var result = _containerd.CtrRun(["run", "--rm", .. runtimeFlags, "--env", "FOO=bar", "--cwd", "/tmp", Imported, id,
                "sh", "-c", "echo $FOO; pwd; id -u; cat /proc/self/cgroup"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            return result.Stdout.Replace(id, "ID", StringComparison.Ordinal);
        }
        var strata = Run(_containerd.NewId("opts"), _containerd.StrataRunFlags);
        Assert.StartsWith("bar\n/tmp\n0\n", strata, StringComparison.Ordinal);
        Assert.Contains($":{_containerd.CgroupParent}/ID\n", strata, StringComparison.Ordinal);
        // The same hierarchies joined at the same path as runc (docker.io's containerd default runtime).
        var runc = Run(_containerd.NewId("runc"), "--fifo-dir", _containerd.FifoDir, "--runc-root", _containerd.RuntimeRoot + "-runc");
        Assert.Equal(runc, strata);
    }

    [Fact]
    public void CtrDetached_TaskExecPsPauseResumeMetricsKillRm_Work()
    {
        var id = _containerd.NewId("detached");
        _containerd.Check(["run", "-d", .. _containerd.StrataRunFlags, "--memory-limit", "67108864", Imported, id,
            "sh", "-c", "trap 'exit 3' TERM; while true; do sleep 0.2; done"]);
        var task = Regex.Match(_containerd.Check("task", "list"), $@"(?m)^{id}\s+(?<pid>\d+)\s+RUNNING");
        Assert.True(task.Success, "task not RUNNING");
        var initPid = task.Groups["pid"].Value;
        var state = Path.Combine(_containerd.RuntimeRoot, _containerd.Namespace, id, "state.json");
        Assert.True(File.Exists(state), $"{state} missing: the shim did not run strata-runtime with --runc-root");
        Assert.Contains("\"initStartTime\"", File.ReadAllText(state), StringComparison.Ordinal);

        var exec = _containerd.CtrRun("task", "exec", "--exec-id", "e1", "--fifo-dir", _containerd.FifoDir, id, "sh", "-c", "echo exec works; exit 6");
        Assert.True(exec.ExitCode == 6, exec.ToString());
        Assert.Equal("exec works\n", exec.Stdout);

        // The init is in the container's cgroup, which has the memory limit; ctr task ps (the runtime's ps) lists it.
        var cgroup = Strata.Cgroups.Tests.ContainerCgroup.OnThisHost($"{_containerd.CgroupParent}/{id}");
        Assert.Contains(initPid, File.ReadAllLines(cgroup.Procs("memory")));
        cgroup.MemoryLimit(64 << 20).AssertHolds();
        Assert.Matches($@"(?m)^{initPid}\s", _containerd.Check("task", "ps", id));

        // Pause and resume go through the runtime (freezer); metrics read the container's cgroup.
        _containerd.Check("task", "pause", id);
        Assert.Matches($@"(?m)^{id}\s+{initPid}\s+PAUSED", _containerd.Check("task", "list"));
        _containerd.Check("task", "resume", id);
        Assert.Matches($@"(?m)^{id}\s+{initPid}\s+RUNNING", _containerd.Check("task", "list"));
        Assert.Matches(@"(?m)^memory\.(limit_in_bytes|limit)\s+67108864\s*$", _containerd.Check("task", "metrics", id));

        _containerd.Check("task", "kill", id); // SIGTERM: the trap exits 3
        Assert.True(LifecycleTests.WaitFor(() => _containerd.Check("task", "list").Contains("STOPPED", StringComparison.Ordinal), 20_000),
            "task did not stop after SIGTERM");
        // ctr task delete reports the task's status.
        var delete = _containerd.CtrRun("task", "delete", id);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Contains("exit code 3", delete.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(state), "strata-runtime state left after task delete");
        _containerd.Check("container", "delete", id);
        Assert.Equal([], HostCleanup.CgroupDirs($"{_containerd.CgroupParent}/{id}"));
    }
}
