namespace Strata.Integration.Runtime;

/// <summary>config.md "Process" and "Hostname", config-linux.md "Sysctl".</summary>
public class ProcessTests
{
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void User_UidGidAdditionalGids_Applied(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s =>
        {
            s.Process!.User = new() { Uid = 1000, Gid = 1001, AdditionalGids = [10, 20] };
        }, "sh", "-c", "id -u; id -g; id -G");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("1000", lines[0]);
        Assert.Equal("1001", lines[1]);
        Assert.Equal(["10", "1001", "20"], lines[2].Split(' ').Order(StringComparer.Ordinal).ToArray());
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Rlimits_Configured_SoftAndHardApplied(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s =>
        {
            s.Process!.Rlimits = [new() { Type = "RLIMIT_NOFILE", Soft = 321, Hard = 654 }, new() { Type = "RLIMIT_NPROC", Soft = 500, Hard = 500 }];
        }, "sh", "-c", "ulimit -n; ulimit -Hn; ulimit -u");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["321", "654", "500"], result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void CwdAndEnv_Configured_SeenByProcess(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s =>
        {
            s.Process!.Cwd = "/tmp/work";
            s.Process.Env!.Add("GREETING=hello world");
        }, "sh", "-c", "pwd; echo \"$GREETING\"");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("/tmp/work\nhello world\n", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Hostname_Configured_SetInUtsNamespace(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s => s.Hostname = "box-42", "hostname");
        Assert.Equal("box-42\n", result.Stdout);
        Assert.NotEqual("box-42", Environment.MachineName);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void OomScoreAdj_Positive_Applied(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s => s.Process!.OomScoreAdj = 500, "cat", "/proc/self/oom_score_adj");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("500\n", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Sysctl_NamespacedKeys_SetInsideOnly(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var hostForward = File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim();
        var wanted = hostForward == "1" ? "0" : "1";
        var result = sb.RunContainer(s =>
        {
            s.Linux!.Sysctl = new() { ["net.ipv4.ip_forward"] = wanted, ["kernel.shmmni"] = "1234" };
            s.Linux.ReadonlyPaths!.Remove("/proc/sys");
        }, "sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"{wanted}\n1234\n", result.Stdout);
        Assert.Equal(hostForward, File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim());
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Annotations_Configured_ReportedByState(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper(s => s.Annotations = new() { ["org.example.key"] = "value" });
        var state = sb.Exec("state", id);
        using var doc = System.Text.Json.JsonDocument.Parse(state.Stdout);
        Assert.Equal("value", doc.RootElement.GetProperty("annotations").GetProperty("org.example.key").GetString());
    }

    /// <summary>
    /// The process runs on the CPUs the runtime may use, as if it had inherited them: strata-runtime starts its
    /// pre-forked init on another CPU than its own and gives it the affinity back (native/nsexec.c, placement).
    /// On two or more CPUs a missing give-back shows as one CPU fewer.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void CpuAffinity_IsTheRuntimes(string runtime)
    {
        using var sb = new Sandbox(runtime);
        const string show = "grep Cpus_allowed_list /proc/self/status";
        var own = File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
        var result = sb.RunContainer(null, "sh", "-c", show);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(own + "\n", result.Stdout);

        // Restricted by its caller (taskset), the runtime passes the restriction on.
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "sh", "-c", show);
        var pinned = Sandbox.Run("/usr/bin/taskset", ["-c", "0", sb.Binary, "--root", sb.Root, "run", "--bundle", bundle, id]);
        Assert.True(pinned.ExitCode == 0, pinned.ToString());
        Assert.Equal("Cpus_allowed_list:\t0\n", pinned.Stdout);
    }

    /// <summary>
    /// The process has the runtime's scheduling policy and nice value, as if it had inherited them:
    /// strata-runtime forks its pre-forked init as SCHED_FIFO with SCHED_RESET_ON_FORK, or as SCHED_BATCH
    /// (native/nsexec.c, placement), and neither may reach the container.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Scheduling_PolicyAndNice_AreTheRuntimes(string runtime)
    {
        using var sb = new Sandbox(runtime);
        // Fields 19 and 41 of /proc/PID/stat: nice and policy (0 SCHED_OTHER, 3 SCHED_BATCH).
        foreach (var (wrapper, expected) in new (string[] Wrapper, string Expected)[]
        {
            ([], "0 0"),
            (["/usr/bin/nice", "-n", "5"], "5 0"),
            (["/usr/bin/nice", "-n", "-5"], "-5 0"),
            (["/usr/bin/chrt", "--batch", "0"], "0 3"),
        })
        {
            var id = sb.NewId();
            var bundle = sb.Bundle(id, null, "sh", "-c", "cut -d' ' -f19,41 /proc/self/stat");
            string[] command = [.. wrapper, sb.Binary, "--root", sb.Root, "run", "--bundle", bundle, id];
            var result = Sandbox.Run(command[0], command[1..]);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal(expected + "\n", result.Stdout);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void PreserveFds_ExtraFd_ReachesContainer(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "sh", "-c", "cat <&3");
        var secret = Path.Combine(sb.Dir, "fd3.txt");
        File.WriteAllText(secret, "through fd 3\n");
        var result = Sandbox.Run("/bin/sh", ["-c", "exec \"$@\" 3<\"$F\"", "sh", sb.Binary, "--root", sb.Root, "run", "--preserve-fds", "1", "--bundle", bundle, id], new() { ["F"] = secret });
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("through fd 3\n", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void OpenFds_NotPreserved_DoNotLeakIntoContainer(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "ls", "/proc/self/fd");
        var result = Sandbox.Run("/bin/sh", ["-c", "exec \"$@\" 5</etc/hostname", "sh", sb.Binary, "--root", sb.Root, "run", "--bundle", bundle, id]);
        Assert.True(result.ExitCode == 0, result.ToString());
        // 0, 1, 2 and the fd ls itself opens to read the directory: nothing inherited from the runtime.
        Assert.DoesNotContain("5", result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 4, result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Capabilities_FiveSets_AppliedToTheProcess(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s =>
        {
            s.Process!.Capabilities = new Oci.Runtime.LinuxCapabilities
            {
                Bounding = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE", "CAP_CHOWN"],
                Effective = ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
                Permitted = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"],
                Inheritable = ["CAP_NET_BIND_SERVICE"],
                Ambient = ["CAP_NET_BIND_SERVICE"],
            };
            s.Process.NoNewPrivileges = true;
        }, "grep", "-E", "^(Cap|NoNewPrivs)", "/proc/self/status");
        Assert.True(result.ExitCode == 0, result.ToString());
        var status = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim());
        // CHOWN=0, KILL=5, NET_BIND_SERVICE=10, AUDIT_WRITE=29. The process runs as uid 0, so exec treats
        // the file sets as full (capabilities(7), "Capabilities and execution of programs by root"):
        // P' = (P(inheritable) | P(bounding-limited permitted)) limited by what the runtime left in P.
        Assert.Equal("0000000020000421", status["CapBnd"]);
        Assert.Equal("0000000000000400", status["CapInh"]);
        Assert.Equal("0000000000000400", status["CapAmb"]);
        Assert.Equal("0000000020000420", status["CapPrm"]);
        Assert.Equal("0000000020000420", status["CapEff"]);
        Assert.Equal("1", status["NoNewPrivs"]);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Capabilities_NonRootUserWithAmbient_KeepsThem(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s =>
        {
            s.Process!.User = new() { Uid = 1000, Gid = 1000 };
            s.Process.Capabilities = new Oci.Runtime.LinuxCapabilities
            {
                Bounding = ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
                Effective = ["CAP_NET_BIND_SERVICE"],
                Permitted = ["CAP_NET_BIND_SERVICE"],
                Inheritable = ["CAP_NET_BIND_SERVICE"],
                Ambient = ["CAP_NET_BIND_SERVICE"],
            };
        }, "grep", "-E", "^Cap(Eff|Bnd)", "/proc/self/status");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("CapEff:\t0000000000000400", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("CapBnd:\t0000000000000420", result.Stdout, StringComparison.Ordinal);
    }
}
