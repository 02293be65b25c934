using System.Text.Json;
using Strata.Linux;

namespace Strata.Engine.Networking;

/// <summary>
/// The engine's networks and attachments as files under ROOT/networks: configs/ID.json per network,
/// endpoints/CONTAINER/ per networked container (its attachment record and the hosts, resolv.conf and
/// hostname files bind-mounted into it), ipam/ the host-local plugin's leases. Every write is a temp
/// file and a rename, so a crash leaves the old or the new record.
/// </summary>
public sealed class NetworkStore
{
    public NetworkStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Location = Path.Combine(root, "networks");
        Directory.CreateDirectory(ConfigsDir);
        Directory.CreateDirectory(EndpointsDir);
        Directory.CreateDirectory(IpamDir);
    }

    public string Location { get; }
    private string ConfigsDir => Path.Combine(Location, "configs");
    private string EndpointsDir => Path.Combine(Location, "endpoints");

    /// <summary>host-local's dataDir: the engine's leases, one directory per network.</summary>
    public string IpamDir => Path.Combine(Location, "ipam");

    public IReadOnlyList<NetworkRecord> List()
    {
        var list = new List<NetworkRecord>();
        foreach (var file in Directory.EnumerateFiles(ConfigsDir, "*.json"))
        {
            if (Read(file, NetworkJson.Default.NetworkRecord) is { } record)
            {
                list.Add(record);
            }
        }
        return list.OrderBy(n => n.Created).ThenBy(n => n.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>docker's lookup order: a full id, a full name, then a unique id prefix.</summary>
    public NetworkRecord? Find(string nameOrId)
    {
        ArgumentNullException.ThrowIfNull(nameOrId);
        if (nameOrId.Length == 0)
        {
            return null;
        }
        var all = List();
        return all.FirstOrDefault(n => n.Id == nameOrId)
            ?? all.FirstOrDefault(n => n.Name == nameOrId)
            ?? (all.Where(n => n.Id.StartsWith(nameOrId, StringComparison.Ordinal)).ToList() is [var only] ? only : null);
    }

    public void Put(NetworkRecord network)
    {
        ArgumentNullException.ThrowIfNull(network);
        AtomicFile.Write(Path.Combine(ConfigsDir, network.Id + ".json"), JsonSerializer.SerializeToUtf8Bytes(network, NetworkJson.Default.NetworkRecord));
    }

    public void Delete(string networkId)
    {
        File.Delete(Path.Combine(ConfigsDir, networkId + ".json"));
        var leases = Path.Combine(IpamDir, networkId);
        if (Directory.Exists(leases))
        {
            Directory.Delete(leases, recursive: true);
        }
    }

    /// <summary>The directory of a container's network files (attachment record, hosts, resolv.conf, hostname).</summary>
    public string EndpointDir(string containerId) => Path.Combine(EndpointsDir, containerId);

    public IReadOnlyList<ContainerNetwork> ListAttachments()
    {
        var list = new List<ContainerNetwork>();
        foreach (var dir in Directory.EnumerateDirectories(EndpointsDir))
        {
            if (Read(Path.Combine(dir, "attachment.json"), NetworkJson.Default.ContainerNetwork) is { } record)
            {
                list.Add(record);
            }
        }
        return list;
    }

    public ContainerNetwork? FindAttachment(string containerId) =>
        Read(Path.Combine(EndpointDir(containerId), "attachment.json"), NetworkJson.Default.ContainerNetwork);

    public void PutAttachment(ContainerNetwork attachment)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        var dir = EndpointDir(attachment.ContainerId);
        Directory.CreateDirectory(dir);
        AtomicFile.Write(Path.Combine(dir, "attachment.json"), JsonSerializer.SerializeToUtf8Bytes(attachment, NetworkJson.Default.ContainerNetwork));
    }

    /// <summary>Removes the record and the container's network files.</summary>
    public void DeleteAttachment(string containerId)
    {
        var dir = EndpointDir(containerId);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static T? Read<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), type);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return null;
        }
    }
}
