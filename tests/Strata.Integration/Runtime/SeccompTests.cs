using Strata.Oci.Runtime;

namespace Strata.Integration.Runtime;

/// <summary>config-linux.md "Seccomp": filters compiled with libseccomp and loaded before exec.</summary>
public class SeccompTests
{
    /// <summary>
    /// Each runtime with and without noNewPrivileges: without it the filter is loaded while the init is still
    /// privileged and the rest of the setup runs under it; with it the filter is loaded right before exec.
    /// </summary>
    public static TheoryData<string, bool> AllWithNoNewPrivileges
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var runtime in Runtimes.Names)
            {
                data.Add(runtime, true);
                data.Add(runtime, false);
            }
            return data;
        }
    }

    /// <summary>
    /// As <see cref="AllWithNoNewPrivileges"/> but without runc 1.1 and privileges: its init calls getppid(2)
    /// after loading the filter, loses its thread to SIGSYS and `runc run` hangs.
    /// </summary>
    public static TheoryData<string, bool> KillCases
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var runtime in Runtimes.Names)
            {
                data.Add(runtime, true);
                if (runtime != Runtimes.Runc)
                    data.Add(runtime, false);
            }
            return data;
        }
    }

    private static Action<Spec> Seccomp(LinuxSeccomp seccomp, bool noNewPrivileges = true) => s =>
    {
        s.Process!.NoNewPrivileges = noNewPrivileges;
        s.Linux!.Seccomp = seccomp;
    };

    private static LinuxSeccomp AllowAllBut(string action, uint? errnoRet, string[] names, params LinuxSeccompArg[] args) => new()
    {
        DefaultAction = "SCMP_ACT_ALLOW",
        Syscalls = [new LinuxSyscall { Names = [.. names], Action = action, ErrnoRet = errnoRet, Args = args.Length > 0 ? [.. args] : null }],
    };

    [SkippableTheory]
    [MemberData(nameof(AllWithNoNewPrivileges))]
    public void Errno_DeniedSyscall_FailsWithEperm(string runtime, bool noNewPrivileges)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(Seccomp(AllowAllBut("SCMP_ACT_ERRNO", 1, ["mkdir", "mkdirat"]), noNewPrivileges),
            "sh", "-c", "grep Seccomp: /proc/self/status; mkdir /tmp/x");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Seccomp:\t2", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Operation not permitted", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// strata-runtime compiles a profile once per runtime root: the second container with the same profile
    /// loads the stored program, and the filter acts the same, with and without noNewPrivileges.
    /// </summary>
    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Errno_SecondContainerSameProfile_StoredProgramActsTheSame(bool noNewPrivileges)
    {
        using var sb = new Sandbox(Runtimes.Strata);
        var profile = Seccomp(AllowAllBut("SCMP_ACT_ERRNO", 1, ["mkdir", "mkdirat"]), noNewPrivileges);

        var first = sb.RunContainer(profile, "sh", "-c", "mkdir /tmp/x");
        var stored = Directory.GetFiles(Path.Combine(sb.Root, "@seccomp"), "*.bpf");
        var second = sb.RunContainer(profile, "sh", "-c", "grep Seccomp: /proc/self/status; mkdir /tmp/x");

        Assert.True(first.ExitCode == 1, first.ToString());
        Assert.Single(stored);
        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.Contains("Seccomp:\t2", second.Stdout, StringComparison.Ordinal);
        Assert.Contains("Operation not permitted", second.Stderr, StringComparison.Ordinal);
        Assert.Equal(stored, Directory.GetFiles(Path.Combine(sb.Root, "@seccomp"), "*.bpf"));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Errno_ErrnoRet38_FailsWithEnosys(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(Seccomp(AllowAllBut("SCMP_ACT_ERRNO", 38, ["mkdir", "mkdirat"])), "mkdir", "/tmp/x");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Function not implemented", result.Stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Errno_DefaultAction_AppliesToUnlistedCalls(string runtime)
    {
        using var sb = new Sandbox(runtime);
        // The default answers ENOSYS; one rule allows what the default profile allows, except mkdir.
        var profile = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ERRNO",
            DefaultErrnoRet = 38,
            Syscalls = [new LinuxSyscall { Names = [.. AllExcept("mkdir", "mkdirat")], Action = "SCMP_ACT_ALLOW" }],
        };
        var result = sb.RunContainer(Seccomp(profile), "sh", "-c", "echo before; mkdir /tmp/x");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("before\n", result.Stdout);
        Assert.Contains("Function not implemented", result.Stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(KillCases))]
    public void Kill_DeniedSyscall_KilledBySigsys(string runtime, bool noNewPrivileges)
    {
        using var sb = new Sandbox(runtime);
        // busybox sh reads its parent's pid at start-up ($PPID).
        var result = sb.RunContainer(Seccomp(AllowAllBut("SCMP_ACT_KILL", null, ["getppid"]), noNewPrivileges), "sh", "-c", "echo $PPID");
        Assert.True(result.ExitCode == 128 + 31, result.ToString());
        Assert.Equal("", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void KillProcess_DeniedSyscall_KilledBySigsys(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(Seccomp(AllowAllBut("SCMP_ACT_KILL_PROCESS", null, ["mkdir", "mkdirat"])), "mkdir", "/tmp/x");
        Assert.True(result.ExitCode == 128 + 31, result.ToString());
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void NoNewPrivileges_OpenDenied_LoadedAfterTheExecFifo(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(Seccomp(AllowAllBut("SCMP_ACT_ERRNO", 1, ["open", "openat"])), "echo", "ok");
        if (!sb.IsStrata)
        {
            // runc 1.1 loads the filter before it opens the exec fifo: "open exec fifo ...: operation not permitted".
            Assert.True(result.ExitCode != 0, result.ToString());
            return;
        }
        // strata-runtime loads it after the fifo, right before execve.
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("ok\n", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Args_Equal_DeniesOnlyThatValue(string runtime)
    {
        using var sb = new Sandbox(runtime);
        // personality(PER_LINUX32 = 8) is denied, personality(PER_LINUX = 0) is not.
        var profile = AllowAllBut("SCMP_ACT_ERRNO", 1, ["personality"], new LinuxSeccompArg { Index = 0, Value = 8, Op = "SCMP_CMP_EQ" });
        var result = sb.RunContainer(Seccomp(profile), "sh", "-c", "linux64 true && echo linux64; linux32 true || echo linux32-denied");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("linux64\nlinux32-denied\n", result.Stdout);
        Assert.Contains("Operation not permitted", result.Stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Args_MaskedEqual_DeniesSetuidChmod(string runtime)
    {
        using var sb = new Sandbox(runtime);
        // chmod(path, mode) with S_ISUID (04000) set in the mode.
        var profile = AllowAllBut("SCMP_ACT_ERRNO", 1, ["chmod"], new LinuxSeccompArg { Index = 1, Value = 0x800, ValueTwo = 0x800, Op = "SCMP_CMP_MASKED_EQ" });
        var result = sb.RunContainer(Seccomp(profile), "sh", "-c", "touch /tmp/f && chmod 755 /tmp/f && echo plain; chmod 4755 /tmp/f || echo setuid-denied");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("plain\nsetuid-denied\n", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Args_SameArgumentTwice_EitherMatches(string runtime)
    {
        using var sb = new Sandbox(runtime);
        // runc's rule: two conditions on one argument are separate rules (OR), not one (AND, never true).
        var profile = AllowAllBut("SCMP_ACT_ERRNO", 1, ["personality"],
            new LinuxSeccompArg { Index = 0, Value = 8, Op = "SCMP_CMP_EQ" },
            new LinuxSeccompArg { Index = 0, Value = 0, Op = "SCMP_CMP_EQ" });
        var result = sb.RunContainer(Seccomp(profile), "sh", "-c", "linux64 true || echo linux64-denied; linux32 true || echo linux32-denied");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("linux64-denied\nlinux32-denied\n", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(AllWithNoNewPrivileges))]
    public void DefaultProfile_Busybox_Runs(string runtime, bool noNewPrivileges)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s =>
        {
            s.Process!.NoNewPrivileges = noNewPrivileges;
            s.Linux!.Seccomp = DefaultSeccomp.For(s.Process.Capabilities!.Bounding!);
        }, "sh", "-c", "echo ok; ls /; grep Seccomp: /proc/self/status");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("ok\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("bin\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Seccomp:\t2", result.Stdout, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void DefaultProfile_WithoutSysChroot_ChrootDenied(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s =>
        {
            // CAP_SYS_CHROOT is held, but the profile is the one for a container without it.
            s.Process!.Capabilities!.Bounding!.Add("CAP_SYS_CHROOT");
            s.Process.Capabilities.Effective!.Add("CAP_SYS_CHROOT");
            s.Process.Capabilities.Permitted!.Add("CAP_SYS_CHROOT");
            s.Linux!.Seccomp = DefaultSeccomp.For([]);
        }, "chroot", "/", "true");
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("Operation not permitted", result.Stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void UnknownSyscallName_Skipped(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(Seccomp(AllowAllBut("SCMP_ACT_ERRNO", 1, ["strata_no_such_syscall", "mkdir", "mkdirat"])), "mkdir", "/tmp/x");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Operation not permitted", result.Stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Flags_LogSpecAllowTsync_Accepted(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var profile = AllowAllBut("SCMP_ACT_ERRNO", 1, ["mkdir", "mkdirat"]);
        profile.Flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"];
        profile.Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"];
        var result = sb.RunContainer(Seccomp(profile), "sh", "-c", "echo ok; mkdir /tmp/x");
        Assert.True(result.ExitCode == 1, result.ToString());
        if (!sb.IsStrata)
        {
            // runc 1.1: "seccomp flags are not yet supported by runc".
            Assert.Equal("", result.Stdout);
            return;
        }
        Assert.Equal("ok\n", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_UnknownAction_FailsAndLeavesNothing(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, Seccomp(AllowAllBut("SCMP_ACT_SOMETIMES", null, ["mkdir"])));
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        if (sb.IsStrata)
            Assert.Contains("linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_SOMETIMES\"", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(sb.Root, id)), "state directory left behind");
        Assert.Empty(sb.LeftoverCgroups(id));
        Assert.NotEqual(0, sb.Exec("state", id).ExitCode);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_UnknownOperator_FailsAndLeavesNothing(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, Seccomp(AllowAllBut("SCMP_ACT_ERRNO", null, ["mkdir"], new LinuxSeccompArg { Index = 0, Op = "SCMP_CMP_ROUGHLY" })));
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        if (sb.IsStrata)
            Assert.Contains("SCMP_CMP_ROUGHLY", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(sb.Root, id)), "state directory left behind");
        Assert.Empty(sb.LeftoverCgroups(id));
    }

    /// <summary>Every syscall the default profile allows unconditionally, minus some.</summary>
    private static IEnumerable<string> AllExcept(params string[] names)
    {
        var allowed = DefaultSeccomp.For(DefaultSpec.EngineCapabilities).Syscalls!
            .Where(s => s.Action == "SCMP_ACT_ALLOW" && s.Args is null)
            .SelectMany(s => s.Names);
        return allowed.Except(names, StringComparer.Ordinal).Distinct(StringComparer.Ordinal);
    }
}
