using System.Text.Json;
using Strata.Linux;
using Strata.Oci.Runtime;

namespace Strata.Engine.Containers;

/// <summary>
/// docker's per-device block I/O throttles (HostConfig.BlkioDeviceReadBps, BlkioDeviceWriteBps,
/// BlkioDeviceReadIOps, BlkioDeviceWriteIOps: [{"Path":"/dev/vda","Rate":N}]), kept as the request sent them
/// (HostConfig.Extra, so inspect gives them back unchanged), as the runtime's linux.resources.blockIO: each
/// path's device numbers read from the host as dockerd reads them (moby's getBlkioThrottleDevices).
/// </summary>
public static class BlkioDevices
{
    public const string ReadBps = "BlkioDeviceReadBps";
    public const string WriteBps = "BlkioDeviceWriteBps";
    public const string ReadIOps = "BlkioDeviceReadIOps";
    public const string WriteIOps = "BlkioDeviceWriteIOps";

    public static readonly IReadOnlyList<string> Fields = [ReadBps, WriteBps, ReadIOps, WriteIOps];

    /// <summary>The throttles <paramref name="host"/> asks for; null when it asks for none.</summary>
    public static LinuxBlockIO? Of(HostConfig host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var b = new LinuxBlockIO
        {
            ThrottleReadBpsDevice = Read(host, ReadBps),
            ThrottleWriteBpsDevice = Read(host, WriteBps),
            ThrottleReadIOPSDevice = Read(host, ReadIOps),
            ThrottleWriteIOPSDevice = Read(host, WriteIOps),
        };
        return b.ThrottleReadBpsDevice is null && b.ThrottleWriteBpsDevice is null && b.ThrottleReadIOPSDevice is null && b.ThrottleWriteIOPSDevice is null ? null : b;
    }

    /// <summary>
    /// What a running container's cgroup needs to go from <paramref name="before"/>'s throttles to
    /// <paramref name="after"/>'s: the new rules, and a rate of 0 for a device whose rule went (0 removes a rule);
    /// null when nothing changes.
    /// </summary>
    public static LinuxBlockIO? Change(HostConfig before, HostConfig after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var b = new LinuxBlockIO
        {
            ThrottleReadBpsDevice = Diff(before, after, ReadBps),
            ThrottleWriteBpsDevice = Diff(before, after, WriteBps),
            ThrottleReadIOPSDevice = Diff(before, after, ReadIOps),
            ThrottleWriteIOPSDevice = Diff(before, after, WriteIOps),
        };
        return b.ThrottleReadBpsDevice is null && b.ThrottleWriteBpsDevice is null && b.ThrottleReadIOPSDevice is null && b.ThrottleWriteIOPSDevice is null ? null : b;
    }

    /// <summary>
    /// API 1.55's update rule: a field the update sets to an array replaces the container's (an empty one clears
    /// it); a field it leaves out or sets to null leaves the container's as it is. True when one was replaced.
    /// </summary>
    public static bool Merge(HostConfig host, HostConfig update)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(update);
        var changed = false;
        foreach (var field in Fields)
        {
            if (update.Extra?.TryGetValue(field, out var value) == true && value.ValueKind == JsonValueKind.Array)
            {
                (host.Extra ??= [])[field] = value.Clone();
                changed = true;
            }
        }
        return changed;
    }

    private static List<LinuxThrottleDevice>? Diff(HostConfig before, HostConfig after, string field)
    {
        var old = Read(before, field) ?? [];
        var now = Read(after, field) ?? [];
        var gone = old.Where(o => !now.Any(n => n.Major == o.Major && n.Minor == o.Minor))
            .Select(o => new LinuxThrottleDevice { Major = o.Major, Minor = o.Minor, Rate = 0 });
        var list = now.Where(n => !old.Any(o => o.Major == n.Major && o.Minor == n.Minor && o.Rate == n.Rate)).Concat(gone).ToList();
        return list.Count == 0 ? null : list;
    }

    private static List<LinuxThrottleDevice>? Read(HostConfig host, string field)
    {
        if (host.Extra?.TryGetValue(field, out var value) != true || value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            return null;
        }
        var list = new List<LinuxThrottleDevice>();
        foreach (var entry in value.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("Path", out var p) || p.ValueKind != JsonValueKind.String
                || !entry.TryGetProperty("Rate", out var r) || !r.TryGetUInt64(out var rate))
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid {field} entry: {entry.GetRawText()}");
            }
            var path = p.GetString()!;
            DeviceNode? node;
            try
            {
                node = DeviceNode.TryStat(path);
            }
            catch (SyscallException e)
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"{field}: {e.Message}");
            }
            if (node is not { Type: 'b' } device)
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"{field}: {path} is not a block device");
            }
            list.Add(new LinuxThrottleDevice { Major = device.Major, Minor = device.Minor, Rate = rate });
        }
        return list;
    }
}
