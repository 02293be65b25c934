using Strata.Oci.Runtime;

namespace Strata.Cgroups.V1;

/// <summary>The v1 net_cls and net_prio controllers (cgroup-v1/net_cls.rst, net_prio.rst); v2 has neither.</summary>
internal static class NetController
{
    public static void ApplyClassId(CgroupFiles files, string dir, uint classId) =>
        files.Write(dir, "net_cls.classid", Invariant.Str(classId));

    public static void ApplyPriorities(CgroupFiles files, string dir, List<LinuxInterfacePriority> priorities)
    {
        foreach (LinuxInterfacePriority p in priorities)
            files.Write(dir, "net_prio.ifpriomap", $"{p.Name} {p.Priority}");
    }
}
