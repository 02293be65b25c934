using Strata.Oci.Runtime;

namespace Strata.Integration.Runtime;

/// <summary>
/// config-linux.md, "User namespace mappings": root in the container mapped to an unprivileged host range,
/// joined user namespaces, and rootless operation (the runtime run by an unprivileged user), each case
/// against strata-runtime and runc.
/// </summary>
public class UserNamespaceTests
{
    private const uint HostBase = 100000;
    /// <summary>An unprivileged user every Debian system has.</summary>
    private const uint Nobody = 65534;

    private static void MapRootTo(Spec s, uint hostBase, uint size = 65536)
    {
        s.Linux!.Namespaces!.Add(new LinuxNamespace { Type = NamespaceType.User });
        s.Linux.UidMappings = [new() { ContainerID = 0, HostID = hostBase, Size = size }];
        s.Linux.GidMappings = [new() { ContainerID = 0, HostID = hostBase, Size = size }];
    }

    private static string HostStatusField(int pid, string field) =>
        File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void NewUserNamespace_RootIsMappedToTheHostRange(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => MapRootTo(s, HostBase), "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/made; cat /dev/null; echo ok > /dev/null");
        var result = sb.Exec("run", "--bundle", bundle, id);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["0", "0"], lines[..2]);
        Assert.Equal("0 100000 65536", string.Join(' ', lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("0 100000 65536", string.Join(' ', lines[3].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        // What the container's root creates belongs to the mapped host id, not to host root.
        var made = new FileInfo(Path.Combine(bundle, "rootfs", "tmp", "made"));
        Assert.Equal(HostBase.ToString(), Sandbox.Run("/usr/bin/stat", ["-c", "%u:%g", made.FullName]).Stdout.Trim().Split(':')[0]);
        Assert.Equal(HostBase.ToString(), Sandbox.Run("/usr/bin/stat", ["-c", "%u:%g", made.FullName]).Stdout.Trim().Split(':')[1]);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void NewUserNamespace_HostSeesTheMappedIds_AndExecJoinsIt(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, pid) = sb.StartSleeper(s =>
        {
            MapRootTo(s, HostBase);
            s.Process!.User = new User { Uid = 1000, Gid = 1000 };
        });
        // The container's uid 1000 is host uid 101000, with no capability outside its namespace.
        Assert.Equal("101000", HostStatusField(pid, "Uid"));
        Assert.Equal("101000", HostStatusField(pid, "Gid"));
        Assert.NotEqual(new FileInfo("/proc/self/ns/user").LinkTarget, new FileInfo($"/proc/{pid}/ns/user").LinkTarget);

        var exec = sb.Exec("exec", "--user", "0:0", id, "sh", "-c", "id -u; readlink /proc/self/ns/user; cat /proc/self/uid_map");
        Assert.True(exec.ExitCode == 0, exec.ToString());
        var lines = exec.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("0", lines[0]);
        Assert.Equal(new FileInfo($"/proc/{pid}/ns/user").LinkTarget, lines[1]);
        Assert.Equal("0 100000 65536", string.Join(' ', lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void JoinedUserNamespace_ByPath_SharesTheMappings(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (_, pid) = sb.StartSleeper(s => MapRootTo(s, HostBase));
        var userNs = $"/proc/{pid}/ns/user";
        var result = sb.RunContainer(s =>
        {
            // Joined, restating its mappings (runc requires them); the other namespaces are new, owned by it.
            s.Linux!.Namespaces!.Add(new LinuxNamespace { Type = NamespaceType.User, Path = userNs });
            s.Linux.UidMappings = [new() { ContainerID = 0, HostID = HostBase, Size = 65536 }];
            s.Linux.GidMappings = [new() { ContainerID = 0, HostID = HostBase, Size = 65536 }];
        }, "sh", "-c", "id -u; readlink /proc/self/ns/user; cat /proc/self/uid_map");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("0", lines[0]);
        Assert.Equal(new FileInfo(userNs).LinkTarget, lines[1]);
        Assert.Equal("0 100000 65536", string.Join(' ', lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void MappingTheKernelRefuses_FailsCleanly_LeavingNothing(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        // Overlapping container ranges: the kernel rejects the uid_map write (EINVAL).
        var bundle = sb.Bundle(id, s =>
        {
            MapRootTo(s, HostBase);
            s.Linux!.UidMappings = [new() { ContainerID = 0, HostID = HostBase, Size = 100 }, new() { ContainerID = 50, HostID = 300000, Size = 100 }];
        }, "true");
        var result = sb.Exec("run", "--bundle", bundle, id);
        Assert.NotEqual(0, result.ExitCode);
        if (sb.IsStrata)
            Assert.Contains("uid_map", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(sb.Exec("list", "-q").Stdout.Trim());
        Assert.Empty(sb.LeftoverCgroups(id));
        Assert.Equal(0, sb.HostMountsUnderSandbox());
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Rootless_SingleIdMap_RunsAsRootOfItsOwnNamespace(string runtime)
    {
        using var sb = new Sandbox(runtime, asUser: Nobody);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "sh", "-c", "id -u; cat /proc/self/uid_map; cat /proc/self/setgroups; touch /tmp/made; hostname");
        var result = sb.Exec("run", "--bundle", bundle, id);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("0", lines[0]);
        Assert.Equal($"0 {Nobody} 1", string.Join(' ', lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        // An unprivileged map of one's own gid requires setgroups to be denied first.
        Assert.Equal("deny", lines[2]);
        Assert.Equal("strata", lines[3]);
        Assert.Equal($"{Nobody}", Sandbox.Run("/usr/bin/stat", ["-c", "%u", Path.Combine(bundle, "rootfs", "tmp", "made")]).Stdout.Trim());
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Rootless_DetachedContainer_ExecPsKillDelete(string runtime)
    {
        using var sb = new Sandbox(runtime, asUser: Nobody);
        var (id, pid) = sb.StartSleeper();
        Assert.Equal($"{Nobody}", HostStatusField(pid, "Uid"));
        var exec = sb.Exec("exec", id, "id", "-u");
        Assert.True(exec.ExitCode == 0, exec.ToString());
        Assert.Equal("0", exec.Stdout.Trim());
        if (sb.IsStrata)
        {
            // Without a cgroup, strata-runtime finds the processes by pid namespace; runc 1.1 gives up
            // ("runc ps may fail if you don't have the full access to cgroups").
            var ps = sb.Exec("ps", "--format", "json", id);
            Assert.True(ps.ExitCode == 0, ps.ToString());
            Assert.Contains(pid.ToString(), ps.Stdout, StringComparison.Ordinal);
        }
        var kill = sb.Exec("kill", id, "KILL");
        Assert.True(kill.ExitCode == 0, kill.ToString());
        for (var i = 0; i < 100 && sb.StatusOf(id) != "stopped"; i++)
            Thread.Sleep(20);
        Assert.Equal("stopped", sb.StatusOf(id));
        var delete = sb.Exec("delete", id);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Empty(sb.Exec("list", "-q").Stdout.Trim());
    }

    /// <summary>
    /// Subordinate ranges need the setuid helpers newuidmap/newgidmap and /etc/subuid entries. The test gives
    /// nobody a range through files bind-mounted over /etc/subuid and /etc/subgid in a private mount
    /// namespace, so nothing on the machine changes.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Rootless_SubordinateRanges_ThroughNewuidmap(string runtime)
    {
        Assert.True(File.Exists("/usr/bin/newuidmap"), "newuidmap is missing: scripts/deps.sh installs Debian's uidmap");
        using var sb = new Sandbox(runtime, asUser: Nobody);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s =>
        {
            s.Linux!.UidMappings = [new() { ContainerID = 0, HostID = Nobody, Size = 1 }, new() { ContainerID = 1, HostID = 300000, Size = 65536 }];
            s.Linux.GidMappings = [new() { ContainerID = 0, HostID = Nobody, Size = 1 }, new() { ContainerID = 1, HostID = 300000, Size = 65536 }];
            s.Process!.User = new User { Uid = 1000, Gid = 1000 };
        }, "sh", "-c", "id -u; cat /proc/self/uid_map; touch /tmp/by-1000");
        File.SetUnixFileMode(Path.Combine(bundle, "rootfs", "tmp"), (UnixFileMode)0x3FF /* 1777 */ | UnixFileMode.StickyBit);
        var subuid = Path.Combine(sb.Dir, "subuid");
        File.WriteAllText(subuid, $"nobody:300000:65536\n");
        var script = "mount --bind \"$1\" /etc/subuid && mount --bind \"$1\" /etc/subgid && shift && exec \"$@\"";
        var result = Sandbox.Run("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script, "sh", subuid,
            "/usr/bin/setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "--", sb.Binary, "--root", sb.Root, "run", "--bundle", bundle, id]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("1000", lines[0]);
        Assert.Equal($"0 {Nobody} 1", string.Join(' ', lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("1 300000 65536", string.Join(' ', lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        // Container uid 1000 is host uid 300000 + 999.
        Assert.Equal("300999", Sandbox.Run("/usr/bin/stat", ["-c", "%u", Path.Combine(bundle, "rootfs", "tmp", "by-1000")]).Stdout.Trim());
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Rootless_WiderMapWithoutSubordinateIds_IsRefused(string runtime)
    {
        using var sb = new Sandbox(runtime, asUser: Nobody);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s =>
        {
            s.Linux!.UidMappings = [new() { ContainerID = 0, HostID = Nobody, Size = 1 }, new() { ContainerID = 1, HostID = 400000, Size = 1000 }];
        }, "true");
        var result = sb.Exec("run", "--bundle", bundle, id);
        Assert.NotEqual(0, result.ExitCode);
        if (sb.IsStrata)
            Assert.Contains("newuidmap", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(sb.Exec("list", "-q").Stdout.Trim());
    }

    [Fact]
    public void JoinedUserNamespace_WithOtherMappings_IsRefused()
    {
        using var sb = new Sandbox(Runtimes.Strata);
        var (_, pid) = sb.StartSleeper(s => MapRootTo(s, HostBase));
        var result = sb.RunContainer(s =>
        {
            s.Linux!.Namespaces!.Add(new LinuxNamespace { Type = NamespaceType.User, Path = $"/proc/{pid}/ns/user" });
            s.Linux.UidMappings = [new() { ContainerID = 0, HostID = 200000, Size = 65536 }];
        }, "true");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("do not match the joined user namespace", result.Stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Rootless_WithACgroupItCannotCreate_FailsClearly(string runtime)
    {
        using var sb = new Sandbox(runtime, asUser: Nobody);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s =>
        {
            s.Linux!.CgroupsPath = $"{sb.CgroupPrefix}/{id}";
            s.Linux.Resources = new LinuxResources { Memory = new LinuxMemory { Limit = 64 << 20 } };
        }, "true");
        var result = sb.Exec("run", "--bundle", bundle, id);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("permission denied", result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(sb.Exec("list", "-q").Stdout.Trim());
    }

    /// <summary>The security features of part 2 hold for a rootless container too: seccomp, capabilities, no_new_privs, hooks.</summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Rootless_SeccompCapabilitiesNoNewPrivsAndHooks_Apply(string runtime)
    {
        using var sb = new Sandbox(runtime, asUser: Nobody);
        var id = sb.NewId();
        var marker = Path.Combine(sb.Dir, "hook-ran");
        var bundle = sb.Bundle(id, s =>
        {
            s.Linux!.Seccomp = DefaultSeccomp.Profile;
            s.Process!.NoNewPrivileges = true;
            s.Process.Capabilities = new LinuxCapabilities
            {
                Bounding = ["CAP_KILL", "CAP_CHOWN"], Effective = ["CAP_KILL", "CAP_CHOWN"], Permitted = ["CAP_KILL", "CAP_CHOWN"],
            };
            // createRuntime runs as the runtime's caller, in its namespaces.
            s.Hooks = new Hooks { CreateRuntime = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", $"id -u > {marker}"] }] };
        }, "sh", "-c", "grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status");
        var result = sb.Exec("run", "--bundle", bundle, id);
        Assert.True(result.ExitCode == 0, result.ToString());
        var status = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.Contains(':', StringComparison.Ordinal))
            .ToDictionary(l => l.Split(':')[0], l => l.Split(':')[1].Trim());
        Assert.Equal("2", status["Seccomp"]);
        Assert.Equal("1", status["NoNewPrivs"]);
        Assert.Equal("0000000000000021", status["CapEff"]); // CAP_CHOWN (0) | CAP_KILL (5)
        Assert.Equal($"{Nobody}", File.ReadAllText(marker).Trim());
    }

    [Fact]
    public void Rootless_DefaultRoot_IsUnderXdgRuntimeDir()
    {
        using var sb = new Sandbox(Runtimes.Strata, asUser: Nobody);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "true");
        var xdg = Path.Combine(sb.Dir, "xdg");
        Directory.CreateDirectory(xdg);
        sb.ChownTree(xdg, Nobody);
        var result = Sandbox.Run("/usr/bin/setpriv", [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "--", "/usr/bin/env", $"XDG_RUNTIME_DIR={xdg}",
            sb.Binary, "run", "--detach", "--bundle", bundle, id]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(Path.Combine(xdg, "strata-runtime", id, "state.json")), "state not under $XDG_RUNTIME_DIR/strata-runtime");
        var delete = Sandbox.Run("/usr/bin/setpriv", [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "--", "/usr/bin/env", $"XDG_RUNTIME_DIR={xdg}",
            sb.Binary, "delete", "--force", id]);
        Assert.True(delete.ExitCode == 0, delete.ToString());
    }
}
