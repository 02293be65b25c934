namespace Strata.Cgroups.V1;

/// <summary>The v1 freezer (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst).</summary>
internal sealed class FreezerController : IFreezer
{
    void IFreezer.Freeze(CgroupFiles files, string directory) => Freeze(files, directory);

    void IFreezer.Thaw(CgroupFiles files, string directory) => files.Write(directory, "freezer.state", "THAWED");

    bool IFreezer.IsFrozen(string directory) => IsFrozen(directory);

    private const int TimeoutMs = 5000;

    /// <summary>
    /// Writing FROZEN starts freezing; the state reads FREEZING until every task stopped, and a task in an
    /// uninterruptible wait can hold that up. Re-writing FROZEN retries the stragglers, and an occasional
    /// thaw lets a task stuck mid-syscall get out of the way (as runc does).
    /// </summary>
    public static void Freeze(CgroupFiles files, string dir)
    {
        long deadline = Environment.TickCount64 + TimeoutMs;
        for (int i = 1; ; i++)
        {
            if (i % 50 == 0)
            {
                files.Write(dir, "freezer.state", "THAWED");
                Thread.Sleep(10);
            }
            files.Write(dir, "freezer.state", "FROZEN");
            if (IsFrozen(dir))
                return;
            if (Environment.TickCount64 > deadline)
            {
                files.Write(dir, "freezer.state", "THAWED");
                throw new CgroupException($"{dir} did not reach FROZEN within {TimeoutMs} ms", Path.Combine(dir, "freezer.state"), null);
            }
            Thread.Sleep(1);
        }
    }

    public static bool IsFrozen(string dir) => CgroupFiles.Read(dir, "freezer.state").Trim() == "FROZEN";
}
