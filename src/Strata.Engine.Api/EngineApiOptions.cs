using System.Net;

namespace Strata.Engine.Api;

/// <summary>How `strata daemon` serves: where, and over which store.</summary>
public sealed class EngineApiOptions
{
    public const string DefaultSocket = "/run/strata/strata.sock";

    /// <summary>The unix socket the API is served on (mode 0660).</summary>
    public string Socket { get; set; } = DefaultSocket;

    /// <summary>The group that owns the socket (a name from /etc/group or a number); null leaves the daemon's.</summary>
    public string? SocketGroup { get; set; }

    /// <summary>Optionally also TCP, on a loopback address only: nothing authenticates a client yet.</summary>
    public IPEndPoint? Tcp { get; set; }

    /// <summary>The image and container store.</summary>
    public string Root { get; set; } = "/var/lib/strata";

    /// <summary>strata-runtime (or a runc-compatible runtime); null finds it as the CLI does.</summary>
    public string? Runtime { get; set; }

    /// <summary>The default bridge network's subnet (null: 10.210.0.0/16); tests give each daemon its own.</summary>
    public string? BridgeSubnet { get; set; }

    /// <summary>The default bridge network's Linux bridge (null: strata0).</summary>
    public string? BridgeInterface { get; set; }

    /// <summary>The pool user networks without a subnet get a /24 of (null: 10.211.0.0/16).</summary>
    public string? AddressPool { get; set; }

    /// <summary>dockerd's --userns-remap: "default" or USER[:GROUP]; null runs containers in the host's user namespace unless they ask for --userns=auto.</summary>
    public string? UsernsRemap { get; set; }

    /// <summary>Subordinate uids for --userns=auto and --userns-remap (tests give a temporary file).</summary>
    public string SubuidFile { get; set; } = Strata.Engine.UserNamespaces.UserNamespaceOptions.DefaultSubuidFile;

    public string SubgidFile { get; set; } = Strata.Engine.UserNamespaces.UserNamespaceOptions.DefaultSubgidFile;

    /// <summary>How layers are shared between user namespaces: idmapped mounts where supported (Auto) or always chowned copies.</summary>
    public Strata.Engine.UserNamespaces.LayerSharing UsernsLayers { get; set; } = Strata.Engine.UserNamespaces.LayerSharing.Auto;

    /// <summary>
    /// The network namespace (a bound nsfs file, as `ip netns add` makes) the engine's bridges, iptables
    /// rules, published ports and DNS live in; null for the daemon's own. Containers with --network host
    /// join it. Tests use it to keep the machine's network settings untouched. Null: STRATA_NETNS when set
    /// (so a `strata daemon` or an in-process engine started by a test can be given one), else the daemon's own.
    /// </summary>
    public string? NetworkNamespace { get; set; }

    /// <summary>The environment variable that names <see cref="NetworkNamespace"/> when the options do not.</summary>
    public const string NetworkNamespaceVariable = "STRATA_NETNS";

    /// <summary>
    /// Where GET /metrics is served besides the socket (docker's --metrics-addr, e.g. 127.0.0.1:9323); that
    /// listener serves nothing else. Null: the socket only.
    /// </summary>
    public IPEndPoint? MetricsAddress { get; set; }

    /// <summary>
    /// How often every running container is sampled into its history (GET /strata/v1/containers/{id}/metrics);
    /// zero turns the sampler off (scrapes and docker stats still read the containers when asked).
    /// </summary>
    public TimeSpan MetricsInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>"127.0.0.1:9323" onto <see cref="MetricsAddress"/>.</summary>
    public static IPEndPoint ParseMetricsAddress(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.Contains(':', StringComparison.Ordinal) || !IPEndPoint.TryParse(address, out var endpoint) || endpoint.Port == 0)
        {
            throw new FormatException($"metrics address '{address}' is not ADDRESS:PORT");
        }
        return endpoint;
    }

    /// <summary>"tcp://127.0.0.1:2375" onto <see cref="Tcp"/>; anything but a loopback address is refused.</summary>
    public static IPEndPoint ParseTcpHost(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        const string scheme = "tcp://";
        if (!host.StartsWith(scheme, StringComparison.Ordinal) || !IPEndPoint.TryParse(host[scheme.Length..], out var endpoint)
            || !host[scheme.Length..].Contains(':', StringComparison.Ordinal))
        {
            throw new FormatException($"host '{host}' is not tcp://ADDRESS:PORT");
        }
        if (!IPAddress.IsLoopback(endpoint.Address))
        {
            throw new FormatException($"host '{host}': only a loopback address is served (the API has no authentication)");
        }
        return endpoint;
    }
}
