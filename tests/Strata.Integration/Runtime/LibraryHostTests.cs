using Strata.Runtime;
using Strata.Runtime.Lifecycle;
using Strata.Runtime.State;

namespace Strata.Integration.Runtime;

/// <summary>
/// The runtime hosted in another .NET program (as the engine will host it): no zygote was forked before
/// that program's runtime started, so create spawns `strata-runtime init` for the native stage. The CLI
/// tests cover the zygote; these cover the spawned stage on the same lifecycle.
/// </summary>
public class LibraryHostTests
{
    [Fact]
    public void CreateStartDelete_InProcess_SpawnsTheNativeStage()
    {
        using var sb = new Sandbox(Runtimes.Strata);
        var mountsBefore = sb.HostMountsUnderSandbox();
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "sh", "-c", "cat /proc/self/cgroup > /tmp/cgroup; hostname > /tmp/hostname; exit 3");
        var runtime = new ContainerRuntime(sb.Root, Runtimes.StrataPath);

        // A host may inherit zygote and pre-forked init variables meant for some strata-runtime up its process tree
        // (here pid 1, whose parent we are not): it must not take them for its own.
        ContainerRecord record;
        Environment.SetEnvironmentVariable("_STRATA_ZYGOTE", "0,1,0");
        Environment.SetEnvironmentVariable("_STRATA_PREFORKED", "1,0");
        try
        {
            record = runtime.Create(id, new CreateOptions { Bundle = bundle });
        }
        finally
        {
            Environment.SetEnvironmentVariable("_STRATA_ZYGOTE", null);
            Environment.SetEnvironmentVariable("_STRATA_PREFORKED", null);
        }
        Assert.Equal(ContainerStatus.Created, runtime.View(id).Status);
        Assert.False(File.Exists(Path.Combine(bundle, "rootfs", "tmp", "hostname")));

        runtime.Start(id);
        Assert.True(WaitFor(() => runtime.View(id).Status == ContainerStatus.Stopped), "the container did not finish");
        Assert.Equal("strata", File.ReadAllText(Path.Combine(bundle, "rootfs", "tmp", "hostname")).Trim());
        // The cgroup namespace is rooted at the container's cgroup here too (the init unshares it once moved).
        var cgroups = File.ReadAllLines(Path.Combine(bundle, "rootfs", "tmp", "cgroup"));
        Assert.Contains(cgroups, l => l.Contains(":memory:", StringComparison.Ordinal));
        Assert.All(cgroups.Where(l => l.Contains(":memory:", StringComparison.Ordinal) || l.Contains(":pids:", StringComparison.Ordinal)),
            l => Assert.EndsWith(":/", l, StringComparison.Ordinal));
        Assert.True(record.InitPid > 0);

        runtime.Delete(id, force: false);
        Assert.Empty(sb.LeftoverCgroups(id));
        Assert.False(Directory.Exists(Path.Combine(sb.Root, id)));
        Assert.Equal(mountsBefore, sb.HostMountsUnderSandbox());
    }

    private static bool WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (condition())
                return true;
            Thread.Sleep(50);
        }
        return false;
    }
}
