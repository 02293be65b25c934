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

    [Theory]
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

    [Theory]
    [MemberData(nameof(Kinds))]
    public void NoNamespace_EachKindExceptMount_SharesHost(string runtime, string kind)
    {
        if (kind == "mnt")
            return; // a container always has its own mount namespace (the rootfs lives in it)
        using var sb = new Sandbox(runtime);
        var type = kind switch { "net" => "network", "mnt" => "mount", _ => kind };
        var result = sb.RunContainer(s =>
        {
            s.Linux!.Namespaces!.RemoveAll(n => n.Type == type);
            if (type == "uts")
                s.Hostname = null;
            if (type == "network")
                s.Mounts!.RemoveAll(m => m.Destination == "/sys");
        }, "readlink", $"/proc/self/ns/{kind}");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Link($"/proc/self/ns/{kind}"), result.Stdout.Trim());
    }

    [Theory]
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

    [Theory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void NetworkNamespace_New_HasOnlyLoopback(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(null, "sh", "-c", "ls /sys/class/net");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("lo", result.Stdout.Trim());
    }

    [Theory]
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

    [Theory]
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
    [Theory]
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

    [Theory]
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
