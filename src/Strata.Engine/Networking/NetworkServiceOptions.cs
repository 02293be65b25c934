namespace Strata.Engine.Networking;

/// <summary>How the engine's networks are laid out; tests give each daemon its own subnets and bridge names.</summary>
public sealed class NetworkServiceOptions
{
    /// <summary>
    /// The default `bridge` network's subnet: neither docker's 172.17.0.0/16 nor podman's 10.88.0.0/16, so
    /// Strata runs beside both.
    /// </summary>
    public const string DefaultBridgeSubnet = "10.210.0.0/16";
    public const string DefaultBridgeInterface = "strata0";
    public const string DefaultAddressPool = "10.211.0.0/16";

    /// <summary>The engine's root (ROOT/networks, ROOT/netns).</summary>
    public required string Root { get; init; }

    /// <summary>The default network's subnet (dockerd's --bip names its gateway; this the subnet).</summary>
    public string BridgeSubnet { get; init; } = DefaultBridgeSubnet;

    /// <summary>The default network's Linux bridge (dockerd's docker0).</summary>
    public string BridgeInterface { get; init; } = DefaultBridgeInterface;

    /// <summary>Where user networks without a subnet get theirs: /24s carved in order (dockerd's --default-address-pool).</summary>
    public string AddressPool { get; init; } = DefaultAddressPool;

    /// <summary>
    /// The network namespace the engine's bridges, iptables rules, published ports and DNS live in (a bound
    /// nsfs file, as `ip netns add` makes); null for the daemon's own. Tests give each daemon a private one,
    /// so the bridge plugin's net.ipv4.ip_forward=1 and the rules never touch the machine's settings.
    /// </summary>
    public string? HostNamespace { get; init; }

    /// <summary>Directories searched for plugins (CNI_PATH); null for Debian's and upstream's.</summary>
    public IReadOnlyList<string>? CniPaths { get; init; }
}
