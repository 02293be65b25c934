namespace Strata.Cgroups;

/// <summary>Freezing a cgroup's tasks: the v1 freezer controller (V1/) or cgroup v2's core cgroup.freeze (V2/).</summary>
internal interface IFreezer
{
    /// <summary>Freezes the tasks and returns once the kernel reports them frozen.</summary>
    void Freeze(CgroupFiles files, string directory);

    void Thaw(CgroupFiles files, string directory);

    bool IsFrozen(string directory);
}
