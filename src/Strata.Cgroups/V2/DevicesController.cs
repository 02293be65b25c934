using Strata.Oci.Runtime;

namespace Strata.Cgroups.V2;

/// <summary>
/// cgroup v2 has no device files: access is decided by a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the
/// cgroup (cgroup-v2.rst, "Device controller"). Until Strata builds one, any real restriction is refused
/// rather than silently dropped.
/// </summary>
internal static class DevicesController
{
    public static void Check(IReadOnlyList<LinuxDeviceCgroup> rules)
    {
        if (rules.All(IsAllowAll))
            return;
        throw new CgroupException("device cgroup rules on cgroup v2 need eBPF, not supported yet");
    }

    private static bool IsAllowAll(LinuxDeviceCgroup r) =>
        r.Allow && (string.IsNullOrEmpty(r.Type) || r.Type == "a") && r.Major is null && r.Minor is null
            && (string.IsNullOrEmpty(r.Access) || r.Access == "rwm");
}
