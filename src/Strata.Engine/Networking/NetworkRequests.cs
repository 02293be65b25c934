namespace Strata.Engine.Networking;

/// <summary>POST /networks/create's content, as the engine takes it.</summary>
public sealed record NetworkCreateRequest
{
    public required string Name { get; init; }
    public string Driver { get; init; } = "bridge";
    public bool Internal { get; init; }
    public bool Attachable { get; init; }
    public bool EnableIPv6 { get; init; }
    /// <summary>Subnet required; Gateway and IPRange optional.</summary>
    public IReadOnlyList<IpamPool> Pools { get; init; } = [];
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a starting container asks of the network (docker's HostConfig and NetworkingConfig parts).</summary>
public sealed record NetworkAttachRequest
{
    public required string ContainerId { get; init; }
    public required string ContainerName { get; init; }
    /// <summary>Empty: the id's first twelve digits (docker's default).</summary>
    public string Hostname { get; init; } = "";
    /// <summary>HostConfig.NetworkMode: "" or "default" or "bridge", a network's name or id, "none", "host", "container:ID".</summary>
    public string Mode { get; init; } = "";
    /// <summary>NetworkingConfig.EndpointsConfig: network name → aliases; networks besides the mode's are attached too.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Aliases { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    public IReadOnlyList<PortBinding> Ports { get; init; } = [];
    /// <summary>-P: every exposed port not bound by <see cref="Ports"/> gets an ephemeral host port.</summary>
    public bool PublishAll { get; init; }
    /// <summary>The image's and the container's ExposedPorts: (port, protocol).</summary>
    public IReadOnlyList<(int Port, string Protocol)> Exposed { get; init; } = [];
    public IReadOnlyList<string> Dns { get; init; } = [];
    public IReadOnlyList<string> DnsSearch { get; init; } = [];
    public IReadOnlyList<string> DnsOptions { get; init; } = [];
    /// <summary>"name:ip" (or "name=ip"); ip "host-gateway" is the gateway.</summary>
    public IReadOnlyList<string> ExtraHosts { get; init; } = [];
    /// <summary>NetworkingConfig.EndpointsConfig's IPAMConfig.IPv4Address: network name or id → the address asked for.</summary>
    public IReadOnlyDictionary<string, string> StaticAddresses { get; init; } = new Dictionary<string, string>();
    /// <summary>NetworkingConfig.EndpointsConfig's MacAddress: network name or id → the MAC address asked for.</summary>
    public IReadOnlyDictionary<string, string> MacAddresses { get; init; } = new Dictionary<string, string>();
    /// <summary>Config.Domainname: the hosts file names the container "hostname.domainname hostname".</summary>
    public string Domainname { get; init; } = "";
    /// <summary>
    /// A namespace the runtime made (/proc/PID/ns/net of a container with a user namespace: its network
    /// namespace must be owned by that user namespace); bound at ROOT/netns/ID instead of a new one. Empty: a new one.
    /// </summary>
    public string ExistingNamespace { get; init; } = "";
    /// <summary>Where hosts, resolv.conf and hostname are written (the container's directory); empty: the attachment's own.</summary>
    public string FilesDirectory { get; init; } = "";
}

/// <summary>
/// What the runtime's spec gets from the network: the namespace to join (null: the host's, --network host)
/// and the files to bind-mount.
/// </summary>
public sealed record ContainerNetworking(string? NamespacePath, IReadOnlyList<FileMount> Mounts, string Hostname);
