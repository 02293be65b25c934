namespace Strata.Integration.Runtime;

/// <summary>config-linux.md, "Namespaces": each kind new, and joined by path.</summary>
public class NamespaceTests
{
    public static TheoryData<string, string> Kinds
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var runtime in Runtimes.Names)
            {
                foreach (var ns in new[] { "pid", "net", "ipc", "uts", "mnt", "cgroup" })
                    data.Add(runtime, ns);
            }
            return data;
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void NewNamespace_EachKind_DiffersFromHost(string runtime, string kind)
    {
        using var sb = new Sandbox(runtime);
        var host = Link($"/proc/self/ns/{kind}");
        var result = sb.RunContainer(null, "readlink", $"/proc/self/ns/{kind}");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith(kind == "mnt" ? "mnt:[" : $"{kind}:[", result.Stdout.Trim(), StringComparison.Ordinal);
        Assert.NotEqual(host, result.Stdout.Trim());
    }

    /// <summary>
    /// A namespace config.json does not list is the runtime's (config-linux.md, "Namespaces"). For the mount
    /// namespace the container's mounts are made in the runtime's, below the rootfs it is chroot'ed to.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void NoNamespace_EachKind_SharesHost(string runtime, string kind)
    {
        using var sb = new Sandbox(runtime);
        var type = kind switch { "net" => "network", "mnt" => "mount", _ => kind };
        try
        {
            var result = sb.RunContainer(s =>
            {
                s.Linux!.Namespaces!.RemoveAll(n => n.Type == type);
                if (type == "uts")
                    s.Hostname = null;
                if (type == "network")
                    s.Mounts!.RemoveAll(m => m.Destination == "/sys");
                if (type == "mount" && !sb.IsStrata)
                    NoMaskedOrReadonlyPaths(s);
            }, "readlink", $"/proc/self/ns/{kind}");
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal(Link($"/proc/self/ns/{kind}"), result.Stdout.Trim());
        }
        finally
        {
            UnmountLeftovers(sb);
        }
    }

    /// <summary>
    /// Without a mount namespace the container still sees only its rootfs and its own /proc and /dev, and once it is
    /// deleted none of its mounts is left in the runtime's mount namespace.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void NoMountNamespace_Run_SeesItsRootfsAndLeavesNoMounts(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var before = sb.HostMountsUnderSandbox();
        try
        {
            var result = sb.RunContainer(s =>
                {
                    s.Linux!.Namespaces!.RemoveAll(n => n.Type == "mount");
                    if (!sb.IsStrata)
                        NoMaskedOrReadonlyPaths(s);
                },
                "sh", "-c", "readlink /proc/self/ns/mnt; echo $$; ls /dev/null /proc/self/fd >/dev/null && echo mounts-ok; test -e /work && echo host-visible; true");
            Assert.True(result.ExitCode == 0, result.ToString());
            var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(Link("/proc/self/ns/mnt"), lines[0]);
            Assert.Equal("1", lines[1]);
            Assert.Contains("mounts-ok", lines);
            Assert.DoesNotContain("host-visible", lines);
            var left = sb.HostMountsUnderSandbox();
            if (sb.IsStrata)
                Assert.Equal(before, left);
            else
                Assert.True(left > before, "runc 1.1 leaves the container's mounts in the runtime's mount namespace (docs/runtime-differences.md)");
        }
        finally
        {
            UnmountLeftovers(sb);
        }
    }

    /// <summary>`exec` into a container without a mount namespace of its own runs in the container's root, not the host's.</summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void NoMountNamespace_Exec_RunsInTheContainersRoot(string runtime)
    {
        using var sb = new Sandbox(runtime);
        try
        {
            var (id, _) = sb.StartSleeper(s =>
            {
                s.Linux!.Namespaces!.RemoveAll(n => n.Type == "mount");
                if (!sb.IsStrata)
                    NoMaskedOrReadonlyPaths(s);
            });
            var result = sb.Exec("exec", id, "sh", "-c", "test -e /work && echo host-visible; test -e /bin/busybox && echo rootfs");
            Assert.True(result.ExitCode == 0, result.ToString());
            // runc 1.1 runs the process in the host's root, the filesystem the container was kept from
            // (docs/runtime-differences.md).
            Assert.Equal(sb.IsStrata ? "rootfs" : "host-visible\nrootfs", result.Stdout.Trim());
            Assert.Equal(0, sb.Exec("delete", "--force", id).ExitCode);
        }
        finally
        {
            UnmountLeftovers(sb);
        }
    }

    /// <summary>
    /// Joining a mount namespace by path, as runtime-tools' linux_ns_path does: one of the host's shape, made by
    /// unshare(1). The container's rootfs and mounts are set up in it.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void JoinMountNamespace_ByPath_RunsInIt(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/unshare", ["--mount", "--propagation", "private", "sleep", "1000"]);
        using var holder = System.Diagnostics.Process.Start(start)!;
        try
        {
            var path = $"/proc/{holder.Id}/ns/mnt";
            Assert.True(LifecycleTests.WaitFor(() => Link(path) != Link("/proc/self/ns/mnt")), "unshare did not enter its mount namespace");
            var result = sb.RunContainer(s =>
            {
                s.Linux!.Namespaces!.RemoveAll(n => n.Type == "mount");
                s.Linux.Namespaces.Add(new() { Type = "mount", Path = path });
            }, "sh", "-c", "readlink /proc/self/ns/mnt; ls /proc/self/fd >/dev/null && echo proc-ok");
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal([Link(path), "proc-ok"], result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(0, sb.HostMountsUnderSandbox());
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }
    }

    /// <summary>
    /// runc 1.1 refuses masked and read-only paths without a mount namespace ("unable to restrict sys entries
    /// without a private MNT namespace"); Strata applies them below the rootfs (docs/runtime-differences.md).
    /// </summary>
    private static void NoMaskedOrReadonlyPaths(Oci.Runtime.Spec s)
    {
        s.Linux!.MaskedPaths = null;
        s.Linux.ReadonlyPaths = null;
    }

    /// <summary>Detaches whatever a runtime left mounted in this namespace below the sandbox, deepest first.</summary>
    private static void UnmountLeftovers(Sandbox sb)
    {
        for (var pass = 0; pass < 5 && sb.HostMountsUnderSandbox() > 0; pass++)
        {
            var points = File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
                .Where(p => p.StartsWith(sb.Dir, StringComparison.Ordinal)).Distinct().OrderByDescending(p => p.Length);
            foreach (var point in points)
                Sandbox.Run("/bin/umount", ["-l", point]);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void PidNamespace_ContainerProcess_IsPid1AndSeesOnlyItsProcesses(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(null, "sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("1", lines[0]);
        Assert.True(int.Parse(lines[1]) <= 3, $"container sees {lines[1]} processes");
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void NetworkNamespace_New_HasOnlyLoopback(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(null, "sh", "-c", "ls /sys/class/net");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("lo", result.Stdout.Trim());
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void NetworkNamespace_New_LoopbackIsUpAndAnswers(string runtime)
    {
        using var sb = new Sandbox(runtime);
        // IFF_UP is bit 0 of the flags the kernel shows in sysfs; with lo down, 127.0.0.1 is unreachable.
        var result = sb.RunContainer(null, "sh", "-c", "cat /sys/class/net/lo/flags; cat /sys/class/net/lo/operstate");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1, Convert.ToInt32(lines[0].Trim(), 16) & 1);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void JoinNamespaces_ByPath_SharesTheOtherContainers(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (_, pid) = sb.StartSleeper();
        var kinds = new[] { ("network", "net"), ("ipc", "ipc"), ("uts", "uts"), ("pid", "pid") };
        var result = sb.RunContainer(s =>
        {
            foreach (var (type, file) in kinds)
            {
                s.Linux!.Namespaces!.RemoveAll(n => n.Type == type);
                s.Linux.Namespaces.Add(new() { Type = type, Path = $"/proc/{pid}/ns/{file}" });
            }
            s.Hostname = null;
        }, "sh", "-c", "for n in net ipc uts pid; do readlink /proc/self/ns/$n; done");
        Assert.True(result.ExitCode == 0, result.ToString());
        var expected = kinds.Select(k => Link($"/proc/{pid}/ns/{k.Item2}")).ToArray();
        Assert.Equal(expected, result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// A Kubernetes pod's container: the sandbox's network, IPC and UTS namespaces joined, pid, mount and cgroup
    /// namespaces of its own (for strata, the pre-forked init joins them on its exec thread).
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void JoinNamespaces_NetworkIpcUtsByPath_WithItsOwnPidNamespace(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (_, pid) = sb.StartSleeper(s => s.Hostname = "sandbox");
        var kinds = new[] { ("network", "net"), ("ipc", "ipc"), ("uts", "uts") };
        var result = sb.RunContainer(s =>
        {
            foreach (var (type, file) in kinds)
            {
                s.Linux!.Namespaces!.RemoveAll(n => n.Type == type);
                s.Linux.Namespaces.Add(new() { Type = type, Path = $"/proc/{pid}/ns/{file}" });
            }
            s.Hostname = null;
        }, "sh", "-c", "for n in net ipc uts pid cgroup; do readlink /proc/self/ns/$n; done; hostname; echo $$");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(kinds.Select(k => Link($"/proc/{pid}/ns/{k.Item2}")), lines[..3]);
        Assert.NotEqual(Link($"/proc/{pid}/ns/pid"), lines[3]);
        Assert.NotEqual(Link($"/proc/{pid}/ns/cgroup"), lines[4]);
        Assert.Equal("sandbox", lines[5]);
        Assert.Equal("1", lines[6]);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void CgroupNamespace_New_ContainerSeesItsCgroupAsRoot(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(null, "cat", "/proc/self/cgroup");
        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains(":memory:", StringComparison.Ordinal) || l.Contains(":pids:", StringComparison.Ordinal)))
            Assert.EndsWith(":/", line, StringComparison.Ordinal);
    }

    private static string Link(string path) => new FileInfo(path).LinkTarget!;
}
