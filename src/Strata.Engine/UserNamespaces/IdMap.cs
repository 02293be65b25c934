using System.Globalization;
using System.Text;
using Strata.Oci.Runtime;

namespace Strata.Engine.UserNamespaces;

/// <summary>One line of a user namespace's uid_map or gid_map: <see cref="Size"/> ids from <see cref="ContainerId"/> inside onto <see cref="HostId"/> outside.</summary>
public readonly record struct IdMap(uint ContainerId, uint HostId, uint Size)
{
    public ulong HostEnd => (ulong)HostId + Size;

    public bool Overlaps(IdMap other) => HostId < other.HostEnd && other.HostId < HostEnd;

    /// <summary>The host id of container id <paramref name="id"/>, or null when the maps leave it unmapped.</summary>
    public static uint? ToHost(IReadOnlyList<IdMap> maps, uint id)
    {
        ArgumentNullException.ThrowIfNull(maps);
        foreach (var m in maps)
        {
            if (id >= m.ContainerId && (ulong)id < (ulong)m.ContainerId + m.Size)
            {
                return m.HostId + (id - m.ContainerId);
            }
        }
        return null;
    }

    /// <summary>The container id that host id <paramref name="id"/> shows as, or null.</summary>
    public static uint? ToContainer(IReadOnlyList<IdMap> maps, uint id)
    {
        ArgumentNullException.ThrowIfNull(maps);
        foreach (var m in maps)
        {
            if (id >= m.HostId && (ulong)id < m.HostEnd)
            {
                return m.ContainerId + (id - m.HostId);
            }
        }
        return null;
    }

    /// <summary>"container host size" lines, as /proc/PID/uid_map takes them.</summary>
    public static string Format(IReadOnlyList<IdMap> maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        var sb = new StringBuilder();
        foreach (var m in maps)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{m.ContainerId} {m.HostId} {m.Size}\n");
        }
        return sb.ToString();
    }

    /// <summary>podman's "CONTAINER:HOST:SIZE" (the uidmapping= and gidmapping= options of --userns=auto).</summary>
    public static IdMap Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':');
        if (parts.Length != 3 || !uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var c)
            || !uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            || !uint.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var s) || s == 0
            || (ulong)c + s > uint.MaxValue || (ulong)h + s > uint.MaxValue)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid mapping '{text}': expected CONTAINER_ID:HOST_ID:SIZE");
        }
        return new IdMap(c, h, s);
    }

    public static List<LinuxIdMapping> ToSpec(IReadOnlyList<IdMap> maps) =>
        [.. maps.Select(m => new LinuxIdMapping { ContainerID = m.ContainerId, HostID = m.HostId, Size = m.Size })];
}
