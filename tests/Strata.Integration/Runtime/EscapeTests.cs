namespace Strata.Integration.Runtime;

/// <summary>Regression tests for known container-escape classes.</summary>
public class EscapeTests
{
    /// <summary>
    /// CVE-2019-5736 class: while the init is still the runtime's own binary (the "created" state), a process
    /// in the container must not be able to open it through /proc/1/exe to overwrite it.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void CreatedInit_RuntimeBinary_NotReachableThroughProcExe(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "sleep", "1000");
        Assert.Equal(0, sb.ExecDetached("create", "--bundle", bundle, id).ExitCode);
        var result = sb.Exec("exec", id, "sh", "-c", "cat /proc/1/exe > /dev/null && echo READABLE; echo x >> /proc/1/exe && echo WRITABLE; true");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("WRITABLE", result.Stdout, StringComparison.Ordinal);
        // Strata keeps its init non-dumpable, so the link cannot even be opened; runc 1.1 runs its init from
        // a sealed memfd copy instead, which may be read but never written.
        if (sb.IsStrata)
            Assert.DoesNotContain("READABLE", result.Stdout, StringComparison.Ordinal);
        Assert.Equal("created", sb.StatusOf(id));
    }

    /// <summary>
    /// Mount targets are resolved by the kernel inside the rootfs (openat2 RESOLVE_IN_ROOT) at the moment of the
    /// mount: a component that is a symlink to a host path by then (as if swapped in by a racing container
    /// process after the target was checked) still resolves inside the root.
    /// </summary>
    [Fact]
    public void MountInRoot_TargetThroughAnAbsoluteSymlink_LandsInsideTheRoot()
    {
        var dir = Directory.CreateTempSubdirectory("strata-it-escape-").FullName;
        var root = Path.Combine(dir, "rootfs");
        var outside = Path.Combine(dir, "host-target");
        Directory.CreateDirectory(outside);
        Directory.CreateDirectory(Path.Combine(root, outside.TrimStart('/')));
        File.CreateSymbolicLink(Path.Combine(root, "swapped"), outside);
        var inside = Path.Combine(root, outside.TrimStart('/'));
        try
        {
            Strata.Linux.LinuxSyscalls.Instance.MountInRoot("tmpfs", root, Path.Combine(root, "swapped"), "tmpfs", Strata.Linux.MountFlags.None, "size=1m");
            var mounts = File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).ToList();
            Assert.DoesNotContain(outside, mounts);
            Assert.Contains(inside, mounts);
        }
        finally
        {
            foreach (var target in new[] { inside, outside })
                Sandbox.Run("/bin/umount", ["-l", target]);
            Directory.Delete(dir, recursive: true);
        }
    }
}
