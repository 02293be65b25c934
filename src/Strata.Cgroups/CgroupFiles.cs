using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Strata.Cgroups;

/// <summary>
/// All file access to cgroupfs. The kernel creates a cgroup's files on mkdir and each value is one write();
/// a test fake is a plain directory tree, where a write must create and truncate the file and removing a
/// directory must remove the files in it.
/// </summary>
internal sealed class CgroupFiles
{
    public static readonly CgroupFiles Kernel = new(plainDirectories: false);

    private const int ENOENT = 2;
    private const int EBUSY = 16;
    private const int ENOTDIR = 20;
    private const int ENOTEMPTY = 39;

    private readonly bool _plain;
    private readonly List<(string Path, string Value)>? _writes;

    /// <param name="plainDirectories">True for a test fake: writes create files, removal deletes them.</param>
    /// <param name="writes">If given, every successful write is appended to it, so tests can check the order.</param>
    internal CgroupFiles(bool plainDirectories, List<(string Path, string Value)>? writes = null)
    {
        _plain = plainDirectories;
        _writes = writes;
    }

    public static bool Exists(string dir, string file) => File.Exists(Path.Combine(dir, file));

    /// <summary>
    /// Writes each value with its own write(), in order, through one open file: a list file such as
    /// devices.allow takes one rule per write, and reopening it for each costs two calls more per rule.
    /// </summary>
    public void WriteEach(string dir, string file, IReadOnlyList<string> values)
    {
        if (_plain || values.Count < 2)
        {
            foreach (string value in values)
                Write(dir, file, value);
            return;
        }
        string path = Path.Combine(dir, file);
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = Strata.Linux.Sys.Open(path, Strata.Linux.OpenFlags.WriteOnly);
        }
        catch (Strata.Linux.SyscallException e)
        {
            throw new CgroupException($"cannot write \"{values[0]}\" to {path}: {ErrorText(e.Errno, null)}", path, e.Errno);
        }
        using (handle)
        {
            foreach (string value in values)
            {
                int errno = Strata.Linux.Sys.TryWrite(handle, Encoding.UTF8.GetBytes(value));
                if (errno != 0)
                    throw new CgroupException($"cannot write \"{value}\" to {path}: {ErrorText(errno, null)}", path, errno);
                _writes?.Add((path, value));
            }
        }
    }

    /// <summary>Writes <paramref name="value"/> with a single write() of exactly its bytes.</summary>
    public void Write(string dir, string file, string value)
    {
        string path = Path.Combine(dir, file);
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        if (!_plain)
        {
            int errno = Strata.Linux.Sys.TryWriteOnce(path, bytes);
            if (errno != 0)
                throw new CgroupException($"cannot write \"{value}\" to {path}: {ErrorText(errno, null)}", path, errno);
            _writes?.Add((path, value));
            return;
        }
        try
        {
            // cgroupfs files exist as soon as the directory does; O_CREAT is never needed and O_TRUNC is
            // meaningless there. FileShare.ReadWrite keeps .NET's advisory flock shared.
            using SafeFileHandle handle = File.OpenHandle(path, _plain ? FileMode.Create : FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            RandomAccess.Write(handle, bytes, 0);
            _writes?.Add((path, value));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            int errno = ErrnoOf(e);
            throw new CgroupException($"cannot write \"{value}\" to {path}: {ErrorText(errno, e)}", path, errno == 0 ? null : errno, e);
        }
    }

    /// <summary>
    /// Attaches a compiled device filter (cgroup v2) to the cgroup directory. A test fake records it as a write
    /// of "&lt;device filter&gt;" with the instruction count, since a plain directory cannot hold a BPF program.
    /// </summary>
    public void AttachDeviceFilter(string dir, ulong[] program)
    {
        if (_plain)
        {
            _writes?.Add((Path.Combine(dir, "<device filter>"), Invariant.Str((long)program.Length)));
            return;
        }
        try
        {
            using var prog = Strata.Linux.Bpf.LoadCgroupDeviceProgram(program);
            using var cgroup = Strata.Linux.Sys.Open(dir, Strata.Linux.OpenFlags.Directory);
            Strata.Linux.Bpf.AttachCgroupDevice(cgroup, prog);
            _writes?.Add((Path.Combine(dir, "<device filter>"), Invariant.Str((long)program.Length)));
        }
        catch (Strata.Linux.SyscallException e)
        {
            throw new CgroupException($"cannot apply the device rules to {dir}: {e.Message}", dir, e.Errno, e);
        }
    }

    /// <summary>The file's content, or null if it does not exist.</summary>
    public static string? TryRead(string dir, string file)
    {
        string path = Path.Combine(dir, file);
        // open and read, without a stream and its buffers: this runs at every create.
        string? text = Strata.Linux.Sys.TryReadText(path, out int errno);
        if (text is not null || errno is ENOENT or ENOTDIR)
            return text;
        throw new CgroupException($"cannot read {path}: {ErrorText(errno, null)}", path, errno);
    }

    public static string Read(string dir, string file) =>
        TryRead(dir, file) ?? throw new CgroupException($"cannot read {Path.Combine(dir, file)}: {ErrorText(ENOENT, null)}", Path.Combine(dir, file), ENOENT);

    /// <summary>Reads a single unsigned number; "max" and v1's page-counter maximum read as <see cref="ulong.MaxValue"/>.</summary>
    public static ulong? TryReadNumber(string dir, string file)
    {
        string? text = TryRead(dir, file);
        return text is null ? null : ParseNumber(text.Trim());
    }

    public static ulong ParseNumber(string text)
    {
        if (text == "max")
            return ulong.MaxValue;
        // v1 reports "unlimited" as PAGE_COUNTER_MAX pages, rounded to the page size (memcontrol.c).
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long signed) && signed < 0)
            return ulong.MaxValue;
        ulong value = ulong.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
        return value >= 0x7FFF_FFFF_FFFF_F000UL ? ulong.MaxValue : value;
    }

    /// <summary>"key value" lines (memory.stat, cpu.stat, memory.events, cgroup.events) as a dictionary.</summary>
    public static Dictionary<string, ulong> ParseKeyValues(string? text)
    {
        var result = new Dictionary<string, ulong>(StringComparer.Ordinal);
        if (text is null)
            return result;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && ulong.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v))
                result[parts[0]] = v;
        }
        return result;
    }

    /// <summary>mkdir; true if this call created the directory.</summary>
    public static bool CreateDirectory(string path)
    {
        // One mkdir(2): Directory.CreateDirectory stats the path and its parents first (the parents are
        // created level by level by the caller).
        try
        {
            return Strata.Linux.Sys.Mkdir(path, (UnixFileMode)0x1ED /* 0755 */);
        }
        catch (Strata.Linux.SyscallException e)
        {
            throw new CgroupException($"cannot create cgroup {path}: {ErrorText(e.Errno, e)}", path, e.Errno, e);
        }
    }

    /// <summary>
    /// Removes a cgroup directory and the sub-cgroups processes inside may have made. rmdir fails with EBUSY
    /// while the last task is still exiting (cgroup-v1/cgroups.rst 2.3), so that is retried for about a second.
    /// </summary>
    public void RemoveDirectory(string path)
    {
        if (_plain)
        {
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
            return;
        }
        long deadline = Environment.TickCount64 + 1000;
        bool childrenRemoved = false;
        for (int delay = 2; ; delay = Math.Min(delay * 2, 50))
        {
            int errno;
            try
            {
                // rmdir(2) straight away; a missing directory counts as removed.
                if (Strata.Linux.Sys.Rmdir(path))
                    return;
                errno = ENOTEMPTY;
            }
            catch (Strata.Linux.SyscallException e)
            {
                errno = e.Errno;
            }
            if (!childrenRemoved && errno is EBUSY or ENOTEMPTY)
            {
                // A cgroup with children refuses too: those come first (usually there are none, so they
                // are looked for only then).
                foreach (string child in Directory.EnumerateDirectories(path))
                    RemoveDirectory(child);
                childrenRemoved = true;
                continue;
            }
            if (errno != EBUSY || Environment.TickCount64 > deadline)
                throw new CgroupException($"cannot remove cgroup {path}: {ErrorText(errno, null)}", path, errno, null);
            Thread.Sleep(delay);
        }
    }

    /// <summary>
    /// The errno behind a .NET I/O exception: on Unix an IOException from a failed syscall carries it as
    /// HResult; access errors wrap such an IOException.
    /// </summary>
    internal static int ErrnoOf(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is FileNotFoundException or DirectoryNotFoundException)
                return ENOENT;
            if (x is IOException && x.HResult is > 0 and < 4096)
                return x.HResult;
        }
        return 0;
    }

    private static string ErrorText(int errno, Exception? e) =>
        errno != 0 ? $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})" : e?.Message ?? "unknown error";
}
