using System.Globalization;
using System.Text;
using Strata.Linux;
using Strata.Oci.Runtime;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// Writes a new user namespace's uid and gid maps (user_namespaces(7), "User and group ID mappings") for
/// the process that unshared it, while that process waits (native/nsexec.c). Root writes
/// /proc/PID/{uid,gid}_map itself. An unprivileged caller may write only a map of its own single id, after
/// denying setgroups; anything wider goes through the setuid helpers newuidmap/newgidmap (Debian
/// "uidmap"), which check /etc/subuid and /etc/subgid — the same rules as runc's rootless mode.
/// </summary>
public static class IdMappings
{
    private static readonly string[] HelperDirectories = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];

    public static void Write(int pid, IReadOnlyList<LinuxIdMapping> uids, IReadOnlyList<LinuxIdMapping> gids)
    {
        var proc = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}";
        uint euid = Sys.EffectiveUserId, egid = Sys.EffectiveGroupId;
        if (euid == 0)
        {
            WriteMap(proc, "uid_map", uids);
            WriteMap(proc, "gid_map", gids);
            return;
        }
        if (IsOwnId(uids, euid))
            WriteMap(proc, "uid_map", uids);
        else
            RunHelper("newuidmap", pid, uids);
        if (IsOwnId(gids, egid))
        {
            // An unprivileged gid_map write is refused until setgroups is denied (user_namespaces(7)),
            // so the container cannot drop a group that the host uses to deny it access.
            WriteProcFile(proc, "setgroups", "deny");
            WriteMap(proc, "gid_map", gids);
        }
        else
        {
            RunHelper("newgidmap", pid, gids);
        }
    }

    /// <summary>"container host size" lines, the format of /proc/PID/uid_map.</summary>
    public static string Format(IReadOnlyList<LinuxIdMapping> mappings)
    {
        var sb = new StringBuilder();
        foreach (var m in mappings)
            sb.Append(CultureInfo.InvariantCulture, $"{m.ContainerID} {m.HostID} {m.Size}\n");
        return sb.ToString();
    }

    private static bool IsOwnId(IReadOnlyList<LinuxIdMapping> mappings, uint id) =>
        mappings is [{ Size: 1 } only] && only.HostID == id;

    private static void WriteMap(string proc, string file, IReadOnlyList<LinuxIdMapping> mappings) =>
        WriteProcFile(proc, file, Format(mappings));

    private static void WriteProcFile(string proc, string file, string content)
    {
        var path = $"{proc}/{file}";
        try
        {
            // One write(2): the kernel accepts a map only as a single write.
            using var handle = Sys.Open(path, OpenFlags.WriteOnly);
            Sys.WriteAll(handle, Encoding.ASCII.GetBytes(content));
        }
        catch (SyscallException e)
        {
            throw new RuntimeException($"writing {path} ({content.Trim().Replace('\n', ',')}): {e.Message}", e);
        }
    }

    private static void RunHelper(string helper, int pid, IReadOnlyList<LinuxIdMapping> mappings)
    {
        var path = HelperDirectories.Select(d => Path.Combine(d, helper)).FirstOrDefault(File.Exists)
            ?? throw new RuntimeException($"mapping more than your own id needs {helper} (Debian package uidmap) and an entry in /etc/sub{helper[3..6]}; it was not found");
        var start = new System.Diagnostics.ProcessStartInfo(path) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        foreach (var m in mappings)
        {
            start.ArgumentList.Add(m.ContainerID.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add(m.HostID.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add(m.Size.ToString(CultureInfo.InvariantCulture));
        }
        using var p = System.Diagnostics.Process.Start(start) ?? throw new RuntimeException($"{helper} could not be started");
        var stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new RuntimeException($"{helper} {string.Join(' ', start.ArgumentList)} failed (exit {p.ExitCode}): {stderr.Trim()}");
    }
}
