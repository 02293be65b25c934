using System.Text;
using Strata.Linux;

namespace Strata.Engine.Networking;

/// <summary>A file the engine bind-mounts into a container (docker's hosts, resolv.conf and hostname).</summary>
public sealed record FileMount(string Source, string Destination);

/// <summary>
/// A container's /etc/hosts, /etc/resolv.conf and /etc/hostname, written by the engine and bind-mounted as
/// docker does (moby's container/container_unix.go, libnetwork/sandbox_dns_unix.go).
/// </summary>
public static class NetworkFiles
{
    public const string HostsFile = "hosts";
    public const string ResolvFile = "resolv.conf";
    public const string HostnameFile = "hostname";

    /// <summary>Docker's fallback when the host names only loopback resolvers (libnetwork/resolvconf).</summary>
    private static readonly string[] FallbackNameservers = ["8.8.8.8", "8.8.4.4"];

    public static IReadOnlyList<FileMount> Mounts(string dir) =>
    [
        new(Path.Combine(dir, HostsFile), "/etc/hosts"),
        new(Path.Combine(dir, ResolvFile), "/etc/resolv.conf"),
        new(Path.Combine(dir, HostnameFile), "/etc/hostname"),
    ];

    /// <summary>localhost, docker's IPv6 names, extra hosts ("name:ip"; host-gateway is the first network's gateway), then the container's own address.</summary>
    public static string Hosts(ContainerNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var text = new StringBuilder();
        text.Append("127.0.0.1\tlocalhost\n");
        text.Append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        text.Append("fe00::\tip6-localnet\n");
        text.Append("ff00::\tip6-mcastprefix\n");
        text.Append("ff02::1\tip6-allnodes\n");
        text.Append("ff02::2\tip6-allrouters\n");
        var gateway = network.Endpoints.FirstOrDefault()?.Gateway ?? "";
        foreach (var extra in network.ExtraHosts)
        {
            var separator = extra.IndexOfAny([':', '=']);
            if (separator <= 0)
            {
                continue;
            }
            var ip = extra[(separator + 1)..];
            if (ip == "host-gateway")
            {
                ip = gateway;
            }
            if (ip.Length > 0)
            {
                text.Append(ip).Append('\t').Append(extra[..separator]).Append('\n');
            }
        }
        if (network.Endpoints.FirstOrDefault(e => e.IPAddress.Length > 0) is { } first)
        {
            text.Append(first.IPAddress).Append('\t');
            if (network.Domainname.Length > 0)
            {
                text.Append(network.Hostname).Append('.').Append(network.Domainname).Append(' ');
            }
            text.Append(network.Hostname).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// On a network with name resolution the embedded DNS at the gateway; otherwise the host's resolvers
    /// without loopback ones (unreachable from the container's namespace). --dns, --dns-search and
    /// --dns-option replace the host's lines.
    /// </summary>
    public static string Resolv(ContainerNetwork network, string? embeddedDns, string hostResolvConf)
    {
        ArgumentNullException.ThrowIfNull(network);
        var host = ParseResolv(hostResolvConf);
        var text = new StringBuilder();
        var servers = embeddedDns is { Length: > 0 }
            ? [embeddedDns]
            : network.Dns.Count > 0 ? network.Dns.ToList() : host.Nameservers.Where(s => !IsLoopback(s)).ToList();
        if (servers.Count == 0)
        {
            servers = [.. FallbackNameservers];
        }
        var search = network.DnsSearch.Count > 0 ? network.DnsSearch : host.Search;
        var options = network.DnsOptions.Count > 0 ? network.DnsOptions : host.Options;
        foreach (var s in servers)
        {
            text.Append("nameserver ").Append(s).Append('\n');
        }
        if (search.Count > 0)
        {
            text.Append("search ").Append(string.Join(' ', search)).Append('\n');
        }
        if (options.Count > 0)
        {
            text.Append("options ").Append(string.Join(' ', options)).Append('\n');
        }
        return text.ToString();
    }

    public static (IReadOnlyList<string> Nameservers, IReadOnlyList<string> Search, IReadOnlyList<string> Options) ParseResolv(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var servers = new List<string>();
        var search = new List<string>();
        var options = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var fields = raw.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || fields[0].StartsWith('#') || fields[0].StartsWith(';'))
            {
                continue;
            }
            switch (fields[0])
            {
                case "nameserver":
                    servers.Add(fields[1]);
                    break;
                case "search" or "domain":
                    search = fields[1..].ToList();
                    break;
                case "options":
                    options.AddRange(fields[1..]);
                    break;
            }
        }
        return (servers, search, options);
    }

    private static bool IsLoopback(string server) =>
        System.Net.IPAddress.TryParse(server, out var ip) && System.Net.IPAddress.IsLoopback(ip);

    /// <summary>
    /// Writes the three files into <paramref name="dir"/> in place: a running container's bind mount holds
    /// the file's inode, so a rename would leave it the old content after a connect or disconnect.
    /// </summary>
    public static void Write(string dir, ContainerNetwork network, string? embeddedDns)
    {
        ArgumentNullException.ThrowIfNull(network);
        Directory.CreateDirectory(dir);
        var hostResolv = File.Exists("/etc/resolv.conf") ? File.ReadAllText("/etc/resolv.conf") : "";
        File.WriteAllText(Path.Combine(dir, HostsFile), Hosts(network));
        File.WriteAllText(Path.Combine(dir, ResolvFile), Resolv(network, embeddedDns, hostResolv));
        File.WriteAllText(Path.Combine(dir, HostnameFile), network.Hostname + "\n");
    }

    /// <summary>--network host: copies of the host's files (as docker's), so the container's writes stay its own.</summary>
    public static void WriteHostCopies(string dir)
    {
        Directory.CreateDirectory(dir);
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        foreach (var (name, source) in new[] { (HostsFile, "/etc/hosts"), (ResolvFile, "/etc/resolv.conf") })
        {
            var bytes = File.Exists(source) ? File.ReadAllBytes(source) : [];
            AtomicFile.Write(Path.Combine(dir, name), bytes, mode, durable: false);
        }
        AtomicFile.Write(Path.Combine(dir, HostnameFile), Encoding.UTF8.GetBytes(Environment.MachineName + "\n"), mode, durable: false);
    }
}
