namespace Strata.Cgroups.V2;

/// <summary>The v2 freezer: cgroup.freeze, confirmed by "frozen 1" in cgroup.events (cgroup-v2.rst, "Core Interface Files").</summary>
internal sealed class FreezerController : IFreezer
{
    void IFreezer.Freeze(CgroupFiles files, string directory) => Freeze(files, directory);

    void IFreezer.Thaw(CgroupFiles files, string directory) => files.Write(directory, "cgroup.freeze", "0");

    bool IFreezer.IsFrozen(string directory) => IsFrozen(directory);

    private const int TimeoutMs = 5000;

    public static void Freeze(CgroupFiles files, string dir)
    {
        files.Write(dir, "cgroup.freeze", "1");
        long deadline = Environment.TickCount64 + TimeoutMs;
        while (!IsFrozen(dir))
        {
            if (Environment.TickCount64 > deadline)
            {
                files.Write(dir, "cgroup.freeze", "0");
                throw new CgroupException($"{dir} did not report \"frozen 1\" in cgroup.events within {TimeoutMs} ms", Path.Combine(dir, "cgroup.events"), null);
            }
            Thread.Sleep(1);
        }
    }

    public static bool IsFrozen(string dir) =>
        CgroupFiles.ParseKeyValues(CgroupFiles.TryRead(dir, "cgroup.events")).GetValueOrDefault("frozen") == 1;
}
