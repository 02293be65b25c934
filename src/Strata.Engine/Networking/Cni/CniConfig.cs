using System.Net;
using System.Text.Json.Nodes;

namespace Strata.Engine.Networking.Cni;

/// <summary>
/// The network configuration lists the engine hands to the plugins. A bridge network is podman's CNI
/// chain: bridge with host-local IPAM (leases under the engine's root, so they are the engine's), portmap
/// for published ports, firewall so a host whose FORWARD policy drops still forwards to the containers.
/// </summary>
public static class CniConfig
{
    /// <summary>docker's bridge driver options the chain honours.</summary>
    public const string BridgeNameOption = "com.docker.network.bridge.name";
    public const string MtuOption = "com.docker.network.driver.mtu";
    public const string MasqueradeOption = "com.docker.network.bridge.enable_ip_masquerade";

    public static JsonObject Loopback() => new()
    {
        ["cniVersion"] = CniPlugins.Version,
        ["name"] = "loopback",
        ["plugins"] = new JsonArray(new JsonObject { ["type"] = "loopback" }),
    };

    public static JsonObject Bridge(NetworkRecord network, string ipamDir)
    {
        ArgumentNullException.ThrowIfNull(network);
        var ranges = new JsonArray();
        foreach (var pool in network.Pools)
        {
            var range = new JsonObject { ["subnet"] = pool.Subnet, ["gateway"] = pool.Gateway };
            if (pool.IPRange is { Length: > 0 } ipRange && Subnets.TryParse(ipRange, out var sub))
            {
                range["rangeStart"] = Subnets.FirstHost(sub).ToString();
                range["rangeEnd"] = Subnets.LastHost(sub).ToString();
            }
            ranges.Add((JsonNode)new JsonArray(range));
        }
        var masquerade = !network.Internal
            && !(network.Options.TryGetValue(MasqueradeOption, out var masq) && masq == "false");
        var bridge = new JsonObject
        {
            ["type"] = "bridge",
            ["bridge"] = network.Bridge,
            // The gateway address on the bridge: the containers' route to the host and where the DNS responder listens.
            ["isGateway"] = true,
            ["ipMasq"] = masquerade,
            ["hairpinMode"] = true,
            // host-local takes a requested address from runtimeConfig.ips (CNI CONVENTIONS.md, "IP Addresses"),
            // and bridge a requested MAC address from runtimeConfig.mac ("MAC Address").
            ["capabilities"] = new JsonObject { ["ips"] = true, ["mac"] = true },
            ["ipam"] = new JsonObject
            {
                ["type"] = "host-local",
                ["ranges"] = ranges,
                // An internal network has no route out (docker's --internal).
                ["routes"] = network.Internal ? new JsonArray() : new JsonArray(new JsonObject { ["dst"] = "0.0.0.0/0" }),
                ["dataDir"] = ipamDir,
            },
        };
        if (network.Options.TryGetValue(MtuOption, out var mtuText) && int.TryParse(mtuText, System.Globalization.CultureInfo.InvariantCulture, out var mtu) && mtu > 0)
        {
            bridge["mtu"] = mtu;
        }
        var plugins = new JsonArray(bridge);
        if (!network.Internal)
        {
            // snat: a port published on 127.0.0.1 or the host's own address is reached from the host too
            // (portmap sets route_localnet on this bridge only, not machine-wide).
            plugins.Add((JsonNode)new JsonObject { ["type"] = "portmap", ["capabilities"] = new JsonObject { ["portMappings"] = true }, ["snat"] = true });
        }
        plugins.Add((JsonNode)new JsonObject { ["type"] = "firewall", ["backend"] = "iptables" });
        return new JsonObject
        {
            ["cniVersion"] = CniPlugins.Version,
            // The CNI network name keys host-local's lease directory and the plugins' iptables chains: the id is unique and never reused.
            ["name"] = network.Id,
            ["plugins"] = plugins,
        };
    }

    /// <summary>runtimeConfig's portMappings, ips and mac (CNI CONVENTIONS.md); null when there is none of them.</summary>
    public static JsonObject? RuntimeConfig(IReadOnlyList<PortBinding> ports, string staticAddress = "", string macAddress = "")
    {
        ArgumentNullException.ThrowIfNull(ports);
        ArgumentNullException.ThrowIfNull(macAddress);
        if (ports.Count == 0)
        {
            var config = new JsonObject();
            if (staticAddress.Length > 0)
            {
                config["ips"] = new JsonArray((JsonNode)JsonValue.Create(staticAddress));
            }
            if (macAddress.Length > 0)
            {
                config["mac"] = macAddress;
            }
            return config.Count == 0 ? null : config;
        }
        var mappings = new JsonArray();
        foreach (var p in ports)
        {
            var mapping = new JsonObject { ["hostPort"] = p.HostPort, ["containerPort"] = p.ContainerPort, ["protocol"] = p.Protocol };
            if (p.HostIp is { Length: > 0 } ip && !IPAddress.Parse(ip).Equals(IPAddress.Any))
            {
                mapping["hostIP"] = ip;
            }
            mappings.Add((JsonNode)mapping);
        }
        var withPorts = new JsonObject { ["portMappings"] = mappings };
        if (staticAddress.Length > 0)
        {
            withPorts["ips"] = new JsonArray((JsonNode)JsonValue.Create(staticAddress));
        }
        if (macAddress.Length > 0)
        {
            withPorts["mac"] = macAddress;
        }
        return withPorts;
    }
}
