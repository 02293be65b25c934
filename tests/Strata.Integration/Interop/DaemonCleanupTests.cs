namespace Strata.Integration.Interop;

/// <summary>
/// The daemon fixtures' cleanup in the worst case: the daemon is SIGKILLed while containers run, so nothing
/// shuts down in order (shims, containers, overlay mounts, netns binds and cgroups are all left behind).
/// Dispose must still leave no process, mount, cgroup or directory of the fixture.
/// </summary>
public sealed class DaemonCleanupTests
{
    [Fact]
    public void DockerDaemonDispose_DockerdKilledWithContainersRunning_LeavesNothing()
    {
        using var image = new BusyboxImage();
        using var docker = new DockerDaemon(); // Dispose is idempotent: the using is for a failed assertion before it
        string dir = docker.Dir, parent = docker.CgroupParent;
        docker.Check("load", "-i", image.DockerArchive);
        // One container with each runtime.
        docker.Check("run", "-d", "--runtime", "strata", "--network", "none", BusyboxImage.Name, "sleep", "1000");
        docker.Check("run", "-d", "--network", "none", BusyboxImage.Name, "sleep", "1000");
        var pid = int.Parse(File.ReadAllText(Path.Combine(dir, "docker.pid")));
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        Thread.Sleep(1000);
        // There is something to clean up: the containers' rootfs mounts and cgroups outlive dockerd.
        Assert.NotEmpty(HostCleanup.MountsUnder(dir));
        Assert.NotEmpty(HostCleanup.CgroupDirs(parent));
        docker.Dispose();
        Assert.Empty(HostCleanup.MountsUnder(dir));
        Assert.Empty(HostCleanup.CgroupDirs(parent));
        Assert.Empty(HostCleanup.ProcessesMentioning(dir + "/"));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void ContainerdDaemonDispose_ContainerdKilledWithTaskRunning_LeavesNothing()
    {
        using var image = new BusyboxImage();
        var started = DateTime.UtcNow;
        using var c = new ContainerdDaemon();
        string dir = c.Dir, parent = c.CgroupParent;
        c.Check("image", "import", image.DockerArchive);
        var id = c.NewId("crash");
        c.Check(["run", "-d", .. c.StrataRunFlags, "localhost/strata-busybox:1", id, "sleep", "1000"]);
        foreach (var p in HostCleanup.ProcessesMentioning(Path.Combine(dir, "config.toml")))
            System.Diagnostics.Process.GetProcessById(p).Kill();
        Thread.Sleep(1000);
        Assert.NotEmpty(HostCleanup.MountsUnder(dir));
        Assert.NotEmpty(HostCleanup.CgroupDirs(parent));
        c.Dispose();
        Assert.Empty(HostCleanup.MountsUnder(dir));
        Assert.Empty(HostCleanup.CgroupDirs(parent));
        Assert.Empty(HostCleanup.ProcessesMentioning(dir + "/"));
        Assert.False(Directory.Exists(dir));
        var shimSockets = Directory.Exists("/run/containerd/s") ? Directory.GetFileSystemEntries("/run/containerd/s") : [];
        Assert.DoesNotContain(shimSockets, s => File.GetLastWriteTimeUtc(s) > started);
    }
}
