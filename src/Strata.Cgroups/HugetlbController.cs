using Strata.Oci.Runtime;

namespace Strata.Cgroups;

/// <summary>The hugetlb controller (cgroup-v1/hugetlb.rst: hugetlb.SIZE.limit_in_bytes; cgroup-v2.rst: hugetlb.SIZE.max).</summary>
/// <param name="unified">Writes cgroup v2's file names.</param>
internal sealed class HugetlbController(bool unified) : IController
{
    string? IController.Name => "hugetlb";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, unified, resources.HugepageLimits!);

    public static void Apply(CgroupFiles files, string dir, bool unified, List<LinuxHugepageLimit> limits)
    {
        foreach (LinuxHugepageLimit l in limits)
        {
            string size = Invariant.CheckPageSize(l.PageSize);
            files.Write(dir, unified ? $"hugetlb.{size}.max" : $"hugetlb.{size}.limit_in_bytes", Invariant.Str(l.Limit));
        }
    }
}
