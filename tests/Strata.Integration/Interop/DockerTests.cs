using System.Text.Json;
using Strata.Integration.Runtime;

namespace Strata.Integration.Interop;

/// <summary>
/// Strata under docker: a private dockerd (see <see cref="DockerDaemon"/>) runs containers with
/// `--runtime strata`, from a busybox image that reached docker as a `strata save` docker-archive. Where
/// the result is the runtime's doing, the same command runs with docker's default runtime (runc) and
/// the outputs are compared. Terminals (`-t`) are not covered: strata-runtime has no --console-socket yet.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class DockerTests
{
    private readonly DockerDaemon _docker;
    private readonly BusyboxImage _image;

    public DockerTests(DockerDaemon docker, BusyboxImage image)
    {
        _docker = docker;
        _image = image;
        var load = _docker.LoadOnce(_image.DockerArchive);
        Assert.True(load.ExitCode == 0, $"docker load of the strata save archive failed: {load}");
    }

    private CommandResult RunWith(string runtime, params string[] args) =>
        _docker.Docker(["run", "--rm", "--runtime", runtime, "--network", "none", .. args]);

    [Fact]
    public void DockerLoad_StrataSaveDockerArchive_SameImageIdAndName()
    {
        Assert.Contains($"Loaded image: {BusyboxImage.Name}", _docker.LoadOnce(_image.DockerArchive).Stdout, StringComparison.Ordinal);
        using var inspect = JsonDocument.Parse(_docker.Check("image", "inspect", BusyboxImage.Name));
        var image = inspect.RootElement[0];
        Assert.Equal(_image.Id, image.GetProperty("Id").GetString());
        Assert.Equal(["/bin/sh"], image.GetProperty("Config").GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("amd64", image.GetProperty("Architecture").GetString());
    }

    [Fact]
    public void DockerRun_StrataRuntime_StdoutStderrAndExitCode()
    {
        foreach (var runtime in new[] { "strata", "runc" })
        {
            var result = RunWith(runtime, BusyboxImage.Name, "sh", "-c", "echo hello from $0; echo to-stderr >&2; exit 7");
            Assert.True(result.ExitCode == 7, $"{runtime}: {result}");
            Assert.Equal("hello from sh\n", result.Stdout);
            Assert.Contains("to-stderr", result.Stderr, StringComparison.Ordinal);
        }
        var ok = RunWith("strata", BusyboxImage.Name, "true");
        Assert.True(ok.ExitCode == 0, ok.ToString());
    }

    [Theory]
    [InlineData("/no/such/program", 127)]
    [InlineData("/etc/passwd", 126)]
    [InlineData("/tmp", 126)]
    public void DockerRun_ProgramMissingOrNotExecutable_DockerExitCodeSameAsRunc(string program, int exitCode)
    {
        // docker reads the runtime's create error: "no such file or directory" is 127, "permission denied" 126.
        foreach (var runtime in new[] { "strata", "runc" })
        {
            var result = RunWith(runtime, BusyboxImage.Name, program);
            Assert.True(result.ExitCode == exitCode, $"{runtime}: {result}");
        }
        var name = "exec-" + Guid.NewGuid().ToString("N")[..8];
        _docker.Check("run", "-d", "--name", name, "--runtime", "strata", "--network", "none", BusyboxImage.Name, "sleep", "1000");
        try
        {
            var exec = _docker.Docker("exec", name, program);
            Assert.True(exec.ExitCode == 126, exec.ToString()); // docker exec reports every runtime exec failure as 126
            Assert.Contains(exitCode == 127 ? "no such file or directory" : "permission denied", exec.Stdout + exec.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            _docker.Docker("rm", "-f", name);
        }
    }

    [Fact]
    public void DockerRun_ReadonlyAndProcMounts_SameOptionsAsRunc()
    {
        // /proc/sys and the other read-only paths keep proc's nosuid,nodev,noexec when made read-only.
        string[] args = [BusyboxImage.Name, "sh", "-c", "grep ' /proc' /proc/self/mounts | sort"];
        var strata = RunWith("strata", args);
        Assert.True(strata.ExitCode == 0, strata.ToString());
        Assert.Contains("proc /proc/sys proc ro,nosuid,nodev,noexec,relatime 0 0", strata.Stdout, StringComparison.Ordinal);
        Assert.Equal(RunWith("runc", args).Stdout, strata.Stdout);
    }

    [Fact]
    public void DockerRunInit_ChildKilledBySignal_Exit128PlusSignalSameAsRunc()
    {
        // --init bind-mounts docker-init (tini) as the container's pid 1: the shell is its child, so a signal
        // it sends itself is not the one an init ignores, and tini reports it as 128+9.
        foreach (var runtime in new[] { "strata", "runc" })
        {
            var result = RunWith(runtime, "--init", BusyboxImage.Name, "sh", "-c", "echo pid $$; kill -KILL $$");
            Assert.True(result.ExitCode == 137, $"{runtime}: {result}");
            Assert.Matches(@"^pid ([2-9]|\d\d+)\n$", result.Stdout); // not pid 1: tini is
        }
    }

    [Fact]
    public void DockerRun_EnvWorkdirUser_FromFlagsSameAsRunc()
    {
        string[] args = ["-e", "GREETING=from flags", "-w", "/tmp/work", "-u", "65534:65534", "--hostname", "strata-box", BusyboxImage.Name,
            "sh", "-c", "echo \"$GREETING\"; pwd; id -u; id -g; hostname; echo $PATH; echo $HOME"];
        var strata = RunWith("strata", args);
        Assert.True(strata.ExitCode == 0, strata.ToString());
        Assert.Equal("from flags\n/tmp/work\n65534\n65534\nstrata-box\n/bin\n/\n", strata.Stdout);
        Assert.Equal(RunWith("runc", args).Stdout, strata.Stdout);
    }

    [Fact]
    public void DockerRun_NetworkNone_OnlyLoopbackAndItIsUp()
    {
        string[] args = [BusyboxImage.Name, "sh", "-c", "ls /sys/class/net; ip -o link show lo | grep -o '<[^>]*>'; ip -o -4 addr show lo | grep -o 'inet [0-9./]*'"];
        var strata = RunWith("strata", args);
        Assert.True(strata.ExitCode == 0, strata.ToString());
        var lines = strata.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("lo", lines[0]);
        Assert.Contains("UP", lines[1].Trim('<', '>').Split(','));
        Assert.Equal("inet 127.0.0.1/8", lines[2]);
        Assert.Equal(RunWith("runc", args).Stdout, strata.Stdout);
    }

    [Fact]
    public void DockerRun_Memory_LimitInContainerCgroup()
    {
        const long limit = 64L * 1024 * 1024;
        var name = "mem-" + Guid.NewGuid().ToString("N")[..8];
        _docker.Check("run", "-d", "--name", name, "--runtime", "strata", "--network", "none", "--memory", "64m", "--pids-limit", "50",
            BusyboxImage.Name, "sleep", "1000");
        var id = _docker.Check("inspect", "--format", "{{.Id}}", name).Trim();
        try
        {
            var cgroup = Strata.Cgroups.Tests.ContainerCgroup.OnThisHost($"{_docker.CgroupParent}/{id}");
            var memoryLimit = cgroup.MemoryLimit(limit);
            Assert.True(File.Exists(memoryLimit.Path), $"no cgroup for {id} under {_docker.CgroupParent}");
            memoryLimit.AssertHolds();
            cgroup.PidsLimit(50).AssertHolds();
            // The container's init is in that cgroup.
            var pid = _docker.Check("inspect", "--format", "{{.State.Pid}}", name).Trim();
            Assert.Contains($"{_docker.CgroupParent}/{id}", File.ReadAllText($"/proc/{pid}/cgroup"), StringComparison.Ordinal);
            // docker stats reads the limit back through containerd's cgroup stats.
            var stats = _docker.Check("stats", "--no-stream", "--format", "{{.MemUsage}}", name);
            Assert.Contains("64MiB", stats, StringComparison.Ordinal);
        }
        finally
        {
            _docker.Docker("rm", "-f", name);
        }
        Assert.Equal([], HostCleanup.CgroupDirs($"{_docker.CgroupParent}/{id}"));
    }

    [Fact]
    public void DockerDetached_ExecTopLogsStopRm_Work()
    {
        var name = "web-" + Guid.NewGuid().ToString("N")[..8];
        _docker.Check("run", "-d", "--name", name, "--runtime", "strata", "--network", "none", BusyboxImage.Name,
            "sh", "-c", "echo started; echo err-line >&2; trap 'echo stopping; exit 0' TERM; while true; do sleep 0.2; done");
        var id = _docker.Check("inspect", "--format", "{{.Id}}", name).Trim();

        // It is strata-runtime's container: the state under the shim's --root has strata's own fields (runc's has init_process_start).
        var state = Path.Combine(_docker.RuntimeStateRoot, id, "state.json");
        Assert.True(File.Exists(state), $"{state} missing; runtime state dirs: {string.Join(' ', Directory.EnumerateDirectories(_docker.ExecRoot))}");
        Assert.Contains("\"initStartTime\"", File.ReadAllText(state), StringComparison.Ordinal);

        var exec = _docker.Docker("exec", "-e", "FROM_EXEC=yes", "-w", "/tmp", name, "sh", "-c", "echo exec $FROM_EXEC in $(pwd); exit 4");
        Assert.True(exec.ExitCode == 4, exec.ToString());
        Assert.Equal("exec yes in /tmp\n", exec.Stdout);
        var execUser = _docker.Docker("exec", "-u", "65534", name, "id", "-u");
        Assert.Equal("65534\n", execUser.Stdout);

        var top = _docker.Check("top", name);
        Assert.Contains("while true", top, StringComparison.Ordinal);

        Assert.True(LifecycleTests.WaitFor(() => _docker.Docker("logs", name).Stdout.Contains("started", StringComparison.Ordinal)), "no 'started' in docker logs");
        var logs = _docker.Check("logs", name);
        Assert.StartsWith("started\n", logs, StringComparison.Ordinal);
        Assert.Contains("err-line", _docker.Docker("logs", name).Stderr, StringComparison.Ordinal);

        var stop = _docker.Docker("stop", "-t", "10", name);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Equal("exited 0", _docker.Check("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name).Trim());
        Assert.Contains("stopping", _docker.Check("logs", name), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_docker.RuntimeStateRoot, id)), "strata-runtime state left after the container stopped");

        _docker.Check("rm", name);
        Assert.Equal("", _docker.Check("ps", "-aq", "--filter", "name=" + name).Trim());
        Assert.Equal([], HostCleanup.CgroupDirs($"{_docker.CgroupParent}/{id}"));
    }

    [Fact]
    public void DockerKill_And_Restart_Work()
    {
        var name = "restart-" + Guid.NewGuid().ToString("N")[..8];
        _docker.Check("run", "-d", "--name", name, "--runtime", "strata", "--network", "none", BusyboxImage.Name, "sleep", "1000");
        try
        {
            _docker.Check("kill", "-s", "KILL", name);
            Assert.Equal("exited 137", _docker.Check("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name).Trim());
            _docker.Check("start", name);
            Assert.Equal("running", _docker.Check("inspect", "--format", "{{.State.Status}}", name).Trim());
            var exec = _docker.Docker("exec", name, "echo", "again");
            Assert.Equal("again\n", exec.Stdout);
        }
        finally
        {
            _docker.Docker("rm", "-f", name);
        }
    }

    [Fact]
    public void DockerSave_StrataLoadsAndRunsIt()
    {
        const string tagged = "strata-interop/from-docker:2";
        _docker.Check("tag", BusyboxImage.Name, tagged);
        var dockerId = _docker.Check("image", "inspect", "--format", "{{.Id}}", tagged).Trim();
        var archive = Path.Combine(_docker.Dir, $"docker-save-{Guid.NewGuid():N}.tar");
        _docker.Check("save", "-o", archive, tagged);

        var store = Directory.CreateTempSubdirectory("strata-from-docker-").FullName;
        try
        {
            var strata = new StrataCli(store);
            var load = strata.Check("load", "-i", archive);
            // docker's familiar form, as dockerd's load prints it.
            Assert.Contains("Loaded image: " + tagged, load, StringComparison.Ordinal);
            Assert.Equal(dockerId, strata.Image("docker.io/" + tagged).GetProperty("ID").GetString());
            var run = strata.Run("run", "--rm", tagged, "sh", "-c", "echo run by strata from a docker save; exit 5");
            Assert.True(run.ExitCode == 5, run.ToString());
            Assert.Equal("run by strata from a docker save\n", run.Stdout);
        }
        finally
        {
            File.Delete(archive);
            foreach (var mount in HostCleanup.MountsUnder(store))
                Strata.Linux.LinuxSyscalls.Instance.Unmount(mount, detach: true);
            Directory.Delete(store, recursive: true);
        }
    }
}
