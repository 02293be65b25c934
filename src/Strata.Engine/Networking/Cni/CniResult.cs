using System.Text.Json.Nodes;

namespace Strata.Engine.Networking.Cni;

/// <summary>What the engine reads of a CNI 1.0 result (SPEC section 5): the container interface's address, gateway and MAC.</summary>
public sealed record CniResult(string IPAddress, int PrefixLength, string Gateway, string MacAddress)
{
    /// <summary>The first IPv4 address on the interface named <paramref name="ifName"/> in the sandbox.</summary>
    public static CniResult Parse(JsonObject result, string ifName)
    {
        ArgumentNullException.ThrowIfNull(result);
        var interfaces = result["interfaces"] as JsonArray ?? [];
        var index = -1;
        var mac = "";
        for (var i = 0; i < interfaces.Count; i++)
        {
            if (interfaces[i] is JsonObject iface && iface["name"]?.GetValue<string>() == ifName && iface["sandbox"] is not null)
            {
                index = i;
                mac = iface["mac"]?.GetValue<string>() ?? "";
                break;
            }
        }
        foreach (var ip in (result["ips"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var onInterface = ip["interface"]?.GetValue<int>() is { } at ? at == index : index < 0;
            var address = ip["address"]?.GetValue<string>() ?? "";
            if (!onInterface || !address.Contains('.', StringComparison.Ordinal))
            {
                continue;
            }
            var slash = address.IndexOf('/', StringComparison.Ordinal);
            var prefix = slash > 0 && int.TryParse(address.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : 32;
            return new CniResult(slash > 0 ? address[..slash] : address, prefix, ip["gateway"]?.GetValue<string>() ?? "", mac);
        }
        return new CniResult("", 0, "", mac);
    }
}
