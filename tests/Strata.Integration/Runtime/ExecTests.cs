namespace Strata.Integration.Runtime;

/// <summary>`exec`: another process in a running container's namespaces and cgroups.</summary>
public class ExecTests
{
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Exec_Argv_JoinsEveryNamespaceAndReturnsExitCode(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, pid) = sb.StartSleeper();
        var result = sb.Exec("exec", id, "sh", "-c", "for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done; exit 7");
        Assert.Equal(7, result.ExitCode);
        var expected = new[] { "pid", "net", "ipc", "uts", "mnt", "cgroup" }.Select(n => new FileInfo($"/proc/{pid}/ns/{n}").LinkTarget!).ToArray();
        Assert.Equal(expected, result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Exec_EnvCwdUser_Applied(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper();
        var result = sb.Exec("exec", "--env", "GREETING=hi", "--env", "OTHER=2", "--cwd", "/tmp", "--user", "1000:1001", id, "sh", "-c", "echo $GREETING $OTHER $(pwd) $(id -u) $(id -g)");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hi 2 /tmp 1000 1001\n", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Exec_ProcessJson_RunsThatProcess(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper();
        var file = Path.Combine(sb.Dir, "process.json");
        File.WriteAllText(file, """{"args":["sh","-c","echo from-json $X"],"env":["PATH=/bin","X=42"],"cwd":"/","user":{"uid":0,"gid":0}}""");
        var result = sb.Exec("exec", "--process", file, id);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("from-json 42\n", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Exec_Detached_WritesPidOfProcessInContainerCgroup(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper();
        var pidFile = Path.Combine(sb.Dir, "exec.pid");
        var result = sb.ExecDetached("exec", "--detach", "--pid-file", pidFile, id, "sleep", "300");
        Assert.True(result.ExitCode == 0, result.ToString());
        var pid = File.ReadAllText(pidFile).Trim();
        Assert.Contains(pid, File.ReadAllLines(sb.Cgroup(id).Procs("pids")));
        Assert.Contains(pid, File.ReadAllLines(sb.Cgroup(id).Procs("memory")));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Exec_StoppedContainer_Fails(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper();
        Assert.Equal(0, sb.Exec("kill", id, "KILL").ExitCode);
        Assert.True(LifecycleTests.WaitFor(() => sb.StatusOf(id) == "stopped"));
        var result = sb.Exec("exec", id, "true");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("stopped", result.Stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Exec_ProgramMissing_FailsWithRuncsMessage(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper();
        var result = sb.Exec("exec", id, "no-such-program");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("executable file not found in $PATH", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("running", sb.StatusOf(id));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Exec_ContainerWithSeccomp_ExecdProcessIsFilteredToo(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper(s => s.Linux!.Seccomp = new Oci.Runtime.LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Architectures = ["SCMP_ARCH_X86_64"],
            Syscalls = [new Oci.Runtime.LinuxSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 }],
        });
        var result = sb.Exec("exec", id, "sh", "-c", "mkdir /tmp/denied || echo refused; echo done");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("refused\ndone\n", result.Stdout);
        Assert.Contains("Operation not permitted", result.Stderr, StringComparison.Ordinal);
    }
}
