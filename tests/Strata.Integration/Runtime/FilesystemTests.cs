using Strata.Oci.Runtime;

namespace Strata.Integration.Runtime;

/// <summary>config.md "Root" and "Mounts"; config-linux.md "Devices", "Masked Paths", "Readonly Paths".</summary>
public class FilesystemTests
{
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void ReadonlyRoot_WriteToRootfs_Fails(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s => s.Root!.Readonly = true, "sh", "-c", "touch /new-file && echo wrote; touch /dev/shm/ok && echo shm-ok");
        Assert.DoesNotContain("wrote", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Read-only file system", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("shm-ok", result.Stdout, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void BindMounts_ReadOnlyAndReadWrite_BehaveAsConfigured(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var ro = Directory.CreateDirectory(Path.Combine(sb.Dir, "ro-src")).FullName;
        var rw = Directory.CreateDirectory(Path.Combine(sb.Dir, "rw-src")).FullName;
        File.WriteAllText(Path.Combine(ro, "data"), "from host\n");
        var file = Path.Combine(sb.Dir, "single-file");
        File.WriteAllText(file, "one file\n");
        var result = sb.RunContainer(s =>
        {
            s.Mounts!.Add(new Mount { Destination = "/mnt/ro", Type = "bind", Source = ro, Options = ["rbind", "ro"] });
            s.Mounts.Add(new Mount { Destination = "/mnt/rw", Type = "bind", Source = rw, Options = ["bind", "rw"] });
            s.Mounts.Add(new Mount { Destination = "/etc/single", Type = "bind", Source = file, Options = ["bind", "ro"] });
        }, "sh", "-c", "cat /mnt/ro/data; echo x > /mnt/ro/new || echo ro-refused; echo written > /mnt/rw/out; cat /etc/single");
        Assert.Equal("from host\nro-refused\none file\n", result.Stdout);
        Assert.Equal("written\n", File.ReadAllText(Path.Combine(rw, "out")));
        Assert.False(File.Exists(Path.Combine(ro, "new")));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void KernelFilesystems_DefaultMounts_PresentWithOptions(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(null, "cat", "/proc/self/mounts");
        Assert.True(result.ExitCode == 0, result.ToString());
        var mounts = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
        string[] Find(string target) => mounts.Single(m => m[1] == target);
        Assert.Equal("proc", Find("/proc")[2]);
        Assert.Equal("tmpfs", Find("/dev")[2]);
        Assert.Contains("size=65536k", Find("/dev")[3], StringComparison.Ordinal);
        Assert.Equal("devpts", Find("/dev/pts")[2]);
        Assert.Equal("mqueue", Find("/dev/mqueue")[2]);
        Assert.Equal("sysfs", Find("/sys")[2]);
        Assert.StartsWith("ro,", Find("/sys")[3], StringComparison.Ordinal);
        Assert.Contains("nosuid", Find("/dev/shm")[3], StringComparison.Ordinal);
        // The memory hierarchy: /sys/fs/cgroup/memory (cgroup v1) or /sys/fs/cgroup itself (cgroup2) on a pure v2 host.
        var memory = Path.GetDirectoryName(Sandbox.CgroupFileInContainer("memory", "memory.stat"));
        Assert.Contains(mounts, m => m[1] == memory && m[2] == (memory == "/sys/fs/cgroup" ? "cgroup2" : "cgroup"));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void TmpfsMount_SizeAndMode_Applied(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s => s.Mounts!.Add(new Mount { Destination = "/scratch", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "nodev", "noexec", "size=1m", "mode=0700"] }),
            "sh", "-c", "grep ' /scratch ' /proc/self/mounts; stat -c %a /scratch; dd if=/dev/zero of=/scratch/big bs=1k count=2048 2>&1");
        Assert.Contains("size=1024k", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("noexec", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("\n700\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("No space left", result.Stdout, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void MaskedPaths_FileAndDirectory_HiddenFromContainer(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => s.Linux!.MaskedPaths = ["/etc/secret.txt", "/etc/secret.d", "/proc/timer_list", "/does/not/exist"],
            "sh", "-c", "cat /etc/secret.txt; ls /etc/secret.d; echo masked; wc -c < /proc/timer_list");
        File.WriteAllText(Path.Combine(bundle, "rootfs/etc/secret.txt"), "password\n");
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs/etc/secret.d"));
        File.WriteAllText(Path.Combine(bundle, "rootfs/etc/secret.d/key"), "key\n");
        var result = sb.Exec("run", "--bundle", bundle, id);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("masked\n0\n", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void ReadonlyPaths_Configured_RefuseWrites(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => s.Linux!.ReadonlyPaths = ["/proc/sys", "/var/data"],
            "sh", "-c", "echo 1 > /proc/sys/kernel/shmmni || echo proc-refused; echo x > /var/data/f || echo data-refused; cat /var/data/keep");
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs/var/data"));
        File.WriteAllText(Path.Combine(bundle, "rootfs/var/data/keep"), "kept\n");
        var result = sb.Exec("run", "--bundle", bundle, id);
        Assert.Equal("proc-refused\ndata-refused\nkept\n", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Devices_DefaultsAndConfigured_CreatedWithNumbersAndModes(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s =>
        {
            s.Linux!.Devices = [new LinuxDevice { Path = "/dev/custom-null", Type = "c", Major = 1, Minor = 3, FileMode = 0x180 /* 0600 */, Uid = 0, Gid = 0 }];
            s.Linux.Resources!.Devices!.Add(new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rw" });
        }, "sh", "-c", "for d in null zero full random urandom tty custom-null; do stat -c '%n %t %T %a %F' /dev/$d; done; echo hi > /dev/custom-null && echo ok");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("/dev/null 1 3 666 character special file", lines[0]);
        Assert.Equal("/dev/zero 1 5 666 character special file", lines[1]);
        Assert.Equal("/dev/full 1 7 666 character special file", lines[2]);
        Assert.Equal("/dev/random 1 8 666 character special file", lines[3]);
        Assert.Equal("/dev/urandom 1 9 666 character special file", lines[4]);
        Assert.Equal("/dev/tty 5 0 666 character special file", lines[5]);
        Assert.Equal("/dev/custom-null 1 3 600 character special file", lines[6]);
        Assert.Equal("ok", lines[7]);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void DeviceCgroup_DeviceNotAllowed_AccessRefused(string runtime)
    {
        using var sb = new Sandbox(runtime);
        // /dev/kmsg (c 1:11) exists as a node but the deny-all rule of the default spec has no allow for it.
        var result = sb.RunContainer(s => s.Linux!.Devices = [new LinuxDevice { Path = "/dev/kmsg", Type = "c", Major = 1, Minor = 11, FileMode = 0x1B6 }],
            "sh", "-c", "echo strata-test > /dev/kmsg && echo allowed; echo x > /dev/null && echo null-ok");
        Assert.Contains("Operation not permitted", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("null-ok\n", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void DevSymlinks_StdioAndPtmx_Present(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(null, "sh", "-c", "for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done");
        Assert.Equal("/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\npts/ptmx\n", result.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void MountTarget_SymlinkPointingOutOfRootfs_StaysInside(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var escape = Path.Combine(sb.Dir, "outside");
        Directory.CreateDirectory(escape);
        var bundle = sb.Bundle(id, s => s.Mounts!.Add(new Mount { Destination = "/evil/sub", Type = "tmpfs", Source = "tmpfs" }), "sh", "-c", "grep -c ' /outside/sub ' /proc/self/mounts");
        // /evil points at the host directory by absolute path: it must resolve inside the rootfs.
        File.CreateSymbolicLink(Path.Combine(bundle, "rootfs", "evil"), escape);
        var result = sb.Exec("run", "--bundle", bundle, id);
        Assert.False(Directory.Exists(Path.Combine(escape, "sub")), "the mount target escaped the rootfs");
        Assert.True(Directory.Exists(Path.Combine(bundle, "rootfs", escape.TrimStart('/'), "sub")) || result.ExitCode != 0, result.ToString());
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void MountPropagation_SharedAndPrivate_ShownInMountinfo(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var shared = Directory.CreateDirectory(Path.Combine(sb.Dir, "shared-src")).FullName;
        var priv = Directory.CreateDirectory(Path.Combine(sb.Dir, "private-src")).FullName;
        var result = sb.RunContainer(s =>
        {
            s.Mounts!.Add(new Mount { Destination = "/mnt/shared", Type = "bind", Source = shared, Options = ["rbind", "rshared"] });
            s.Mounts.Add(new Mount { Destination = "/mnt/private", Type = "bind", Source = priv, Options = ["rbind", "rprivate"] });
        }, "sh", "-c", "grep -E ' /mnt/(shared|private) ' /proc/self/mountinfo");
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("shared:", lines.Single(l => l.Contains(" /mnt/shared ", StringComparison.Ordinal)), StringComparison.Ordinal);
        var privateLine = lines.Single(l => l.Contains(" /mnt/private ", StringComparison.Ordinal));
        Assert.DoesNotContain("shared:", privateLine, StringComparison.Ordinal);
        Assert.DoesNotContain("master:", privateLine, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void RootfsPropagation_Private_RootHasNoPeers(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s => s.Linux!.RootfsPropagation = "private", "sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("shared:", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("master:", result.Stdout, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void RootfsPropagation_Unbindable_RootIsUnbindable(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s => s.Linux!.RootfsPropagation = "unbindable", "sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo");
        if (!sb.IsStrata)
        {
            // runc 1.1 makes "/" unbindable before it binds the rootfs below it, which the kernel refuses
            // (docs/runtime-differences.md); crun and Strata apply it to the new root after pivot_root.
            Assert.True(result.ExitCode != 0, result.ToString());
            Assert.Contains("invalid argument", result.Stderr, StringComparison.Ordinal);
            return;
        }
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(" unbindable ", result.Stdout, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void RootfsPropagation_Shared_RootHasPeers(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s => s.Linux!.RootfsPropagation = "shared", "sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo");
        Assert.True(result.ExitCode == 0, result.ToString());
        // runc 1.1 makes "/" shared, then the rootfs's parent mount private again (its rootfsParentMountPrivate), so
        // on a host whose "/" is private its container's root ends up with no peers (docs/runtime-differences.md).
        if (sb.IsStrata)
            Assert.Contains("shared:", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// A mount(2) failure reports the kernel's errno: a directory bound onto a file is refused with ENOTDIR, which
    /// an errno read after formatting the message had turned into "success".
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void BindMount_DirectoryOntoFile_FailsWithTheKernelsError(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var source = Directory.CreateDirectory(Path.Combine(sb.Dir, "dir-src")).FullName;
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => s.Mounts!.Add(new Mount { Destination = "/file", Type = "bind", Source = source, Options = ["rbind"] }));
        File.WriteAllText(Path.Combine(bundle, "rootfs", "file"), "");
        var result = sb.Exec("run", "--bundle", bundle, id);
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("not a directory", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("success", result.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void NoPivot_Run_ContainerSeesOnlyItsRootfs(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "sh", "-c", "ls /; test -e /work && echo host-visible; true");
        var result = sb.Exec("run", "--no-pivot", "--bundle", bundle, id);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("bin", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("host-visible", result.Stdout, StringComparison.Ordinal);
    }
}
