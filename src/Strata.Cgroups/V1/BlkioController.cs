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

    /// <summary>
    /// The throttle policy's per-device counters, which count every bio whatever the I/O scheduler
    /// (cgroup-v1/blkio-controller.rst): "MAJ:MIN Read|Write|Sync|Async|Discard|Total N" lines. The
    /// _recursive files include descendant cgroups; older kernels have only the plain ones.
    /// </summary>
    public static BlockIoStats ReadStats(string dir)
    {
        var devices = new SortedDictionary<(uint, uint), ulong[]>();
        Add(CgroupFiles.TryRead(dir, "blkio.throttle.io_service_bytes_recursive") ?? CgroupFiles.TryRead(dir, "blkio.throttle.io_service_bytes"), 0);
        Add(CgroupFiles.TryRead(dir, "blkio.throttle.io_serviced_recursive") ?? CgroupFiles.TryRead(dir, "blkio.throttle.io_serviced"), 2);
        return new BlockIoStats
        {
            Devices = devices.Select(d => new DeviceIoStats(d.Key.Item1, d.Key.Item2, d.Value[0], d.Value[1], d.Value[2], d.Value[3])).ToArray(),
        };

        void Add(string? text, int offset)
        {
            foreach (string line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length != 3 || !TryDevice(f[0], out uint major, out uint minor)
                    || !ulong.TryParse(f[2], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out ulong value))
                    continue;
                int slot = f[1] switch { "Read" => offset, "Write" => offset + 1, _ => -1 };
                if (slot < 0)
                    continue;
                if (!devices.TryGetValue((major, minor), out ulong[]? counters))
                    devices[(major, minor)] = counters = new ulong[4];
                counters[slot] = value;
            }
        }
    }

    /// <summary>"8:0" into its major and minor numbers.</summary>
    internal static bool TryDevice(string text, out uint major, out uint minor)
    {
        major = minor = 0;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0
            && uint.TryParse(text.AsSpan(0, colon), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out major)
            && uint.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out minor);
    }
}
