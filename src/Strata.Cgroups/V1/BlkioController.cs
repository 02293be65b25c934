using Strata.Oci.Runtime;

namespace Strata.Cgroups.V1;

/// <summary>The v1 blkio controller (Documentation/admin-guide/cgroup-v1/blkio-controller.rst).</summary>
internal sealed class BlkioController : IController
{
    string? IController.Name => "blkio";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, resources.BlockIO!);

    public static bool IsNeeded(LinuxBlockIO? b) =>
        b is not null && (b.Weight is not null || b.LeafWeight is not null || b.WeightDevice is { Count: > 0 }
            || b.ThrottleReadBpsDevice is { Count: > 0 } || b.ThrottleWriteBpsDevice is { Count: > 0 }
            || b.ThrottleReadIOPSDevice is { Count: > 0 } || b.ThrottleWriteIOPSDevice is { Count: > 0 });

    public static void Apply(CgroupFiles files, string dir, LinuxBlockIO b)
    {
        // CFQ (blkio.weight) was removed in 5.0; BFQ exposes the same knob as blkio.bfq.weight.
        string weightFile = CgroupFiles.Exists(dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
        if (b.Weight is ushort weight)
            files.Write(dir, weightFile, Invariant.Str(weight));
        if (b.LeafWeight is ushort leafWeight)
            files.Write(dir, "blkio.leaf_weight", Invariant.Str(leafWeight));
        foreach (LinuxWeightDevice d in b.WeightDevice ?? [])
        {
            if (d.Weight is ushort w)
                files.Write(dir, weightFile + "_device", $"{d.Major}:{d.Minor} {w}");
            if (d.LeafWeight is ushort lw)
                files.Write(dir, "blkio.leaf_weight_device", $"{d.Major}:{d.Minor} {lw}");
        }
        Throttle(files, dir, "blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice);
        Throttle(files, dir, "blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice);
        Throttle(files, dir, "blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice);
        Throttle(files, dir, "blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice);
    }

    private static void Throttle(CgroupFiles files, string dir, string file, List<LinuxThrottleDevice>? devices)
    {
        foreach (LinuxThrottleDevice d in devices ?? [])
            files.Write(dir, file, $"{d.Major}:{d.Minor} {d.Rate}");
    }
}
