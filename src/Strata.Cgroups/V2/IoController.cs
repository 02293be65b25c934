using Strata.Oci.Runtime;

namespace Strata.Cgroups.V2;

/// <summary>The v2 io controller (Documentation/admin-guide/cgroup-v2.rst, "IO Interface Files").</summary>
internal sealed class IoController : IController
{
    string? IController.Name => "io";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, resources.BlockIO!);

    public static void Apply(CgroupFiles files, string dir, LinuxBlockIO b)
    {
        if (b.LeafWeight is not null || b.WeightDevice?.Any(d => d.LeafWeight is not null) == true)
            throw new CgroupException("blkio leaf weights do not exist on cgroup v2");
        // BFQ takes the v1 range [1, 1000] in io.bfq.weight; io.weight is [1, 10000].
        bool bfq = CgroupFiles.Exists(dir, "io.bfq.weight");
        if (b.Weight is ushort weight)
        {
            if (bfq)
                files.Write(dir, "io.bfq.weight", Invariant.Str(weight));
            else
                files.Write(dir, "io.weight", Invariant.Str(BlkioWeightToIoWeight(weight)));
        }
        foreach (LinuxWeightDevice d in b.WeightDevice ?? [])
        {
            if (d.Weight is ushort w)
                files.Write(dir, bfq ? "io.bfq.weight" : "io.weight", $"{d.Major}:{d.Minor} {(bfq ? w : BlkioWeightToIoWeight(w))}");
        }
        Max(files, dir, "rbps", b.ThrottleReadBpsDevice);
        Max(files, dir, "wbps", b.ThrottleWriteBpsDevice);
        Max(files, dir, "riops", b.ThrottleReadIOPSDevice);
        Max(files, dir, "wiops", b.ThrottleWriteIOPSDevice);
    }

    /// <summary>Maps blkio weight [10, 1000] onto io.weight [1, 10000] (runc ConvertBlkIOToIOWeightValue).</summary>
    internal static ulong BlkioWeightToIoWeight(ushort weight) =>
        weight < 10 ? 1 : 1 + ((ulong)(weight - 10) * 9999 / 990);

    private static void Max(CgroupFiles files, string dir, string key, List<LinuxThrottleDevice>? devices)
    {
        // A rate of 0 removes a v1 blkio rule (blkio-controller.rst); io.max takes no 0, its removal is "max".
        foreach (LinuxThrottleDevice d in devices ?? [])
            files.Write(dir, "io.max", $"{d.Major}:{d.Minor} {key}={(d.Rate == 0 ? "max" : Invariant.Str(d.Rate))}");
    }

    /// <summary>io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device (cgroup-v2.rst), hierarchical.</summary>
    public static BlockIoStats ReadStats(string dir)
    {
        var devices = new List<DeviceIoStats>();
        foreach (string line in (CgroupFiles.TryRead(dir, "io.stat") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2 || !V1.BlkioController.TryDevice(f[0], out uint major, out uint minor))
                continue;
            Dictionary<string, ulong> kv = CgroupFiles.ParseKeyValues(string.Join('\n', f.Skip(1).Select(x => x.Replace('=', ' '))));
            devices.Add(new DeviceIoStats(major, minor, kv.GetValueOrDefault("rbytes"), kv.GetValueOrDefault("wbytes"), kv.GetValueOrDefault("rios"), kv.GetValueOrDefault("wios")));
        }
        return new BlockIoStats { Devices = devices };
    }
}
