using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Strata.Linux;

namespace Strata.Integration.Interop;

/// <summary>
/// The steps a daemon fixture takes to leave the host as it found it, each one safe to run after any
/// failure and each reporting what it could not undo rather than throwing halfway. A fixture owns one
/// temporary directory (every path its daemons use lies under it, so it marks their processes and mounts)
/// and one cgroup parent (every container cgroup lies under it).
/// </summary>
internal static partial class HostCleanup
{
    /// <summary>Processes whose command line mentions <paramref name="marker"/>: a daemon, the containerd it spawned, their shims.</summary>
    public static List<int> ProcessesMentioning(string marker)
    {
        var self = Environment.ProcessId;
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == self)
            {
                continue;
            }
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (cmdline.Contains(marker, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // exited while we looked
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; returns the pids still alive after that.</summary>
    public static List<int> Stop(IReadOnlyCollection<int> pids, TimeSpan grace)
    {
        foreach (var pid in pids)
        {
            _ = Kill(pid, Signals.SIGTERM);
        }
        var alive = WaitGone(pids, grace);
        foreach (var pid in alive)
        {
            _ = Kill(pid, Signals.SIGKILL);
        }
        return WaitGone(alive, TimeSpan.FromSeconds(10));
    }

    private static List<int> WaitGone(IReadOnlyCollection<int> pids, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            // Our own children (dockerd, containerd) stay zombies until reaped by their Process object; a
            // zombie is gone for this purpose.
            var alive = pids.Where(IsRunning).ToList();
            if (alive.Count == 0 || DateTime.UtcNow > deadline)
            {
                return alive;
            }
            Thread.Sleep(100);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The mount points of every cgroup hierarchy (v1 controllers, a named v1 hierarchy, cgroup2).</summary>
    public static List<string> CgroupHierarchies() =>
        File.ReadAllLines("/proc/self/mountinfo")
            .Select(line => line.Split(" - ", 2))
            .Where(parts => parts.Length == 2 && (parts[1].StartsWith("cgroup ", StringComparison.Ordinal) || parts[1].StartsWith("cgroup2 ", StringComparison.Ordinal)))
            .Select(parts => Unescape(parts[0].Split(' ')[4]))
            .Distinct()
            .ToList();

    /// <summary>The directories of cgroup <paramref name="path"/> (absolute) that exist, in every hierarchy.</summary>
    public static List<string> CgroupDirs(string path) => CgroupHierarchies().Select(h => h + path).Where(Directory.Exists).ToList();

    /// <summary>
    /// Kills every process left in <paramref name="parent"/> (an absolute cgroup path) in every hierarchy and
    /// removes its directories bottom-up; returns the directories that could not be removed.
    /// </summary>
    public static List<string> RemoveCgroupParent(string parent)
    {
        var dirs = CgroupHierarchies().Select(h => h + parent).Where(Directory.Exists).ToList();
        foreach (var dir in dirs)
        {
            // A frozen cgroup's processes cannot die until thawed.
            foreach (var freezer in Directory.EnumerateFiles(dir, "freezer.state", SearchOption.AllDirectories))
            {
                TryWrite(freezer, "THAWED");
            }
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var pids = dirs.Where(Directory.Exists)
                .SelectMany(d => Directory.EnumerateFiles(d, "cgroup.procs", SearchOption.AllDirectories))
                .SelectMany(ReadPids)
                .Distinct()
                .ToList();
            if (pids.Count == 0 || DateTime.UtcNow > deadline)
            {
                break;
            }
            foreach (var pid in pids)
            {
                _ = Kill(pid, Signals.SIGKILL);
            }
            Thread.Sleep(100);
        }
        var left = new List<string>();
        foreach (var dir in dirs.Where(Directory.Exists))
        {
            foreach (var sub in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).OrderByDescending(s => s.Length).Append(dir))
            {
                if (!TryRemoveCgroup(sub))
                {
                    left.Add(sub);
                }
            }
        }
        return left;
    }

    private static bool TryRemoveCgroup(string dir)
    {
        // rmdir can fail with EBUSY for a moment after the last process died (v1 memory, v2 populated).
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                Directory.Delete(dir);
                return true;
            }
            catch (DirectoryNotFoundException)
            {
                return true;
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
        }
        return false;
    }

    private static IEnumerable<int> ReadPids(string procsFile)
    {
        try
        {
            return File.ReadAllLines(procsFile).Select(int.Parse).ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static void TryWrite(string file, string value)
    {
        try
        {
            File.WriteAllText(file, value);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Mount points at or under <paramref name="dir"/>, deepest first.</summary>
    public static List<string> MountsUnder(string dir) =>
        File.ReadAllLines("/proc/self/mountinfo")
            .Select(line => Unescape(line.Split(' ')[4]))
            .Where(m => m == dir || m.StartsWith(dir + "/", StringComparison.Ordinal))
            .Distinct()
            .OrderByDescending(m => m.Length)
            .ToList();

    /// <summary>Detaches every mount under <paramref name="dir"/> (overlay roots, netns and shm binds); returns those still mounted.</summary>
    public static List<string> UnmountUnder(string dir)
    {
        // Stacked mounts on one point need one unmount each.
        for (var round = 0; round < 5; round++)
        {
            var mounts = MountsUnder(dir);
            if (mounts.Count == 0)
            {
                break;
            }
            foreach (var mount in mounts)
            {
                try
                {
                    LinuxSyscalls.Instance.Unmount(mount, detach: true);
                }
                catch (SyscallException)
                {
                    // EINVAL when an earlier detach already took it; look again next round
                }
            }
        }
        return MountsUnder(dir);
    }

    /// <summary>
    /// containerd 1.6 puts every shim's socket at /run/containerd/s/sha256(address/namespace/id), outside any
    /// directory a test can choose; a shim that exits cleanly removes it, one that was killed does not.
    /// </summary>
    public static void RemoveShimSockets(string address, string ns, IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{address}/{ns}/{id}")));
            foreach (var path in new[] { $"/run/containerd/s/{hash}", $"/run/containerd/s/{hash}.sock" })
            {
                try
                {
                    File.Delete(path);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>
    /// Deletes the fixture's directory, but only when nothing is mounted under it: a recursive delete that
    /// crossed a leftover bind mount would delete what the mount shows.
    /// </summary>
    public static string? DeleteTree(string dir)
    {
        if (!Directory.Exists(dir))
        {
            return null;
        }
        if (MountsUnder(dir) is { Count: > 0 } mounts)
        {
            return $"{dir} kept: still mounted under it: {string.Join(", ", mounts)}";
        }
        try
        {
            Directory.Delete(dir, recursive: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{dir}: {e.Message}";
        }
    }

    /// <summary>
    /// Directories a daemon creates at fixed host paths whatever its flags (dockerd's plugin socket directory,
    /// containerd's shim socket directory), those of them that do not exist yet: removed again by
    /// <see cref="RemoveIfEmpty"/> when the daemon left them empty.
    /// </summary>
    public static List<string> NotYetExisting(params string[] dirs) => dirs.Where(d => !Directory.Exists(d)).ToList();

    /// <summary>Removes each directory that exists and is empty (another daemon may have put something in it since), in the order given.</summary>
    public static void RemoveIfEmpty(IEnumerable<string> dirs)
    {
        foreach (var dir in dirs)
            RemoveEmptyDirectory(dir);
    }

    private static void RemoveEmptyDirectory(string dir)
    {
        try
        {
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any())
                Directory.Delete(dir);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal (proc(5)).</summary>
    private static string Unescape(string field) =>
        field.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
            .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
