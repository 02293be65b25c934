using Strata.Oci.Runtime;

namespace Strata.Cgroups;

/// <summary>The hugetlb controller (cgroup-v1/hugetlb.rst: hugetlb.SIZE.limit_in_bytes; cgroup-v2.rst: hugetlb.SIZE.max).</summary>
internal sealed class HugetlbController : IController
{
    public static readonly HugetlbController ForV1 = new(unified: false);
    public static readonly HugetlbController ForV2 = new(unified: true);

    private readonly bool _unified;

    private HugetlbController(bool unified) => _unified = unified;

    string? IController.Name => "hugetlb";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, _unified, resources.HugepageLimits!);

    public static void Apply(CgroupFiles files, string dir, bool unified, List<LinuxHugepageLimit> limits)
    {
        foreach (LinuxHugepageLimit l in limits)
        {
            string size = Invariant.CheckPageSize(l.PageSize);
            files.Write(dir, unified ? $"hugetlb.{size}.max" : $"hugetlb.{size}.limit_in_bytes", Invariant.Str(l.Limit));
        }
    }
}
