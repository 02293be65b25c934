using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Strata.Linux;

namespace Strata.Engine.UserNamespaces;

/// <summary>
/// A container's user namespace, as kept in its directory (ROOT/containers/ID/userns) from create to rm:
/// the mode it was made by ("auto" or "remap") and its uid and gid maps. The file is the allocation: an
/// auto range is taken while the file exists, so it survives a daemon restart and goes with the container.
/// </summary>
public sealed record ContainerUserNamespace(string Mode, IReadOnlyList<IdMap> Uids, IReadOnlyList<IdMap> Gids)
{
    public const string FileName = "userns";

    /// <summary>How the layers were last mounted for it: "idmapped" or "copy" (ROOT/containers/ID/userns-layers).</summary>
    public const string LayersFileName = "userns-layers";

    public uint RootUid => IdMap.ToHost(Uids, 0) ?? throw new EngineException(EngineErrorCode.InvalidArgument, "the user namespace does not map root");

    public uint RootGid => IdMap.ToHost(Gids, 0) ?? throw new EngineException(EngineErrorCode.InvalidArgument, "the user namespace does not map root's group");

    /// <summary>A short name of the mapping, for caches kept per mapping.</summary>
    public string Key => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(IdMap.Format(Uids) + "/" + IdMap.Format(Gids))))[..16];

    public static ContainerUserNamespace? Read(string containerDir)
    {
        var path = Path.Combine(containerDir, FileName);
        if (!File.Exists(path))
        {
            return null;
        }
        var mode = "";
        List<IdMap> uids = [], gids = [];
        foreach (var line in File.ReadLines(path))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (f)
            {
                case ["mode", var m]:
                    mode = m;
                    break;
                case [("uid" or "gid") and var kind, var c, var h, var s]:
                    var map = new IdMap(uint.Parse(c, CultureInfo.InvariantCulture), uint.Parse(h, CultureInfo.InvariantCulture), uint.Parse(s, CultureInfo.InvariantCulture));
                    (kind == "uid" ? uids : gids).Add(map);
                    break;
            }
        }
        return new ContainerUserNamespace(mode, uids, gids);
    }

    public void Write(string containerDir)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"mode {Mode}\n");
        foreach (var m in Uids)
        {
            sb.Append(CultureInfo.InvariantCulture, $"uid {m.ContainerId} {m.HostId} {m.Size}\n");
        }
        foreach (var m in Gids)
        {
            sb.Append(CultureInfo.InvariantCulture, $"gid {m.ContainerId} {m.HostId} {m.Size}\n");
        }
        AtomicFile.Write(Path.Combine(containerDir, FileName), Encoding.ASCII.GetBytes(sb.ToString()));
    }

    /// <summary>"idmapped", "copy", or null before its first start.</summary>
    public static string? LayersOf(string containerDir)
    {
        var path = Path.Combine(containerDir, LayersFileName);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }
}
