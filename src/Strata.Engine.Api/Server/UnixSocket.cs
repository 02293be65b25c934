using System.Globalization;
using System.Net.Sockets;
using Strata.Linux;

namespace Strata.Engine.Api.Server;

/// <summary>The daemon's socket file: taken over from a dead daemon, refused if a live one holds it, 0660.</summary>
public static class UnixSocket
{
    /// <summary>
    /// Makes <paramref name="path"/> free to bind: its directory exists; a socket a live process accepts on is
    /// an error; anything else at the path (a stale socket left by a daemon that died) is unlinked, as
    /// dockerd unlinks its socket before listening.
    /// </summary>
    public static void Prepare(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir && !Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        if (Directory.Exists(path))
        {
            throw new IOException($"socket path {path} is a directory");
        }
        if (!File.Exists(path))
        {
            return;
        }
        if (IsListening(path))
        {
            throw new IOException($"a daemon is already listening on {path}");
        }
        File.Delete(path);
    }

    /// <summary>Mode 0660 and, with a group, that group: who may reach the socket may run containers as root.</summary>
    public static void Secure(string path, string? group)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        if (group is not null)
        {
            FileMetadata.Lchown(path, uint.MaxValue, ResolveGroup(group));
        }
    }

    /// <summary>A group name from /etc/group, or a number.</summary>
    public static uint ResolveGroup(string group)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        if (uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
        {
            return gid;
        }
        foreach (var line in File.ReadLines("/etc/group"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == group && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out gid))
            {
                return gid;
            }
        }
        throw new ArgumentException($"group '{group}' not found in /etc/group", nameof(group));
    }

    private static bool IsListening(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AccessDenied)
        {
            // ECONNREFUSED: nobody accepts on it (or it is not a socket at all).
            return e.SocketErrorCode == SocketError.AccessDenied;
        }
    }
}
