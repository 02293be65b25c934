using System.Globalization;
using System.Net;

namespace Strata.Cli.Client;

/// <summary>Where an engine serves the API: a unix socket or a TCP address, spelled as docker's -H spells it.</summary>
public sealed record EngineHost
{
    private EngineHost(string? socket, DnsEndPoint? tcp)
    {
        Socket = socket;
        Tcp = tcp;
    }

    /// <summary>The unix socket's path; null for TCP.</summary>
    public string? Socket { get; }

    /// <summary>The TCP host and port; null for a unix socket.</summary>
    public DnsEndPoint? Tcp { get; }

    public static EngineHost Unix(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new EngineHost(Path.GetFullPath(path), null);
    }

    /// <summary>"unix:///PATH" or "tcp://HOST:PORT"; anything else (ssh://, npipe://, a bare path) is a FormatException.</summary>
    public static EngineHost Parse(string text)
    {
        if (!TryParse(text, out var host, out var error))
        {
            throw new FormatException(error);
        }
        return host;
    }

    public static bool TryParse(string? text, out EngineHost host, out string error)
    {
        host = null!;
        error = "";
        const string unix = "unix://", tcp = "tcp://";
        if (text is null)
        {
            error = "no host given";
            return false;
        }
        if (text.StartsWith(unix, StringComparison.Ordinal))
        {
            var path = text[unix.Length..];
            if (path.Length == 0 || path[0] != '/')
            {
                error = $"invalid host '{text}': unix:// needs an absolute path (unix:///run/strata/strata.sock)";
                return false;
            }
            host = new EngineHost(path, null);
            return true;
        }
        if (text.StartsWith(tcp, StringComparison.Ordinal))
        {
            var rest = text[tcp.Length..].TrimEnd('/');
            var colon = rest.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                error = $"invalid host '{text}': tcp:// needs HOST:PORT (tcp://127.0.0.1:2375)";
                return false;
            }
            host = new EngineHost(null, new DnsEndPoint(rest[..colon].Trim('[', ']'), port));
            return true;
        }
        error = $"invalid host '{text}': unix:///PATH or tcp://HOST:PORT";
        return false;
    }

    public override string ToString() => Socket is { } path ? "unix://" + path
        : Tcp!.Host.Contains(':', StringComparison.Ordinal) ? $"tcp://[{Tcp.Host}]:{Tcp.Port}" : $"tcp://{Tcp.Host}:{Tcp.Port}";
}
