using System.Runtime.InteropServices;

namespace Strata.Linux;

/// <summary>
/// File metadata calls an image unpacker needs: they act on the path itself, never on what a symlink
/// points to, so restoring a layer's metadata cannot touch anything outside the tree being written.
/// </summary>
public static unsafe partial class FileMetadata
{
    private const int AtFdcwd = -100;
    private const int AtSymlinkNofollow = 0x100;
    private const int SFmtChr = 0x2000;
    private const int SFmtBlk = 0x6000;
    private const int SFmtFifo = 0x1000;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>utimensat(2) with AT_SYMLINK_NOFOLLOW: sets atime and mtime of the link itself when the path is one.</summary>
    public static void SetTimes(string path, DateTimeOffset accessTime, DateTimeOffset modificationTime)
    {
        var times = stackalloc Timespec[2];
        times[0] = Timespec.From(accessTime);
        times[1] = Timespec.From(modificationTime);
        if (Utimensat(AtFdcwd, path, times, AtSymlinkNofollow) != 0)
            throw new SyscallException("utimensat", Marshal.GetLastPInvokeError(), path);
    }

    /// <summary>
    /// statx(2) of the path itself (AT_SYMLINK_NOFOLLOW, as lstat): type and permission bits, owner, size,
    /// modification time and device numbers. statx has one layout on every architecture, unlike struct stat.
    /// </summary>
    public static FileStatus Lstat(string path)
    {
        var buffer = stackalloc byte[256];
        if (StatxNative(AtFdcwd, path, AtSymlinkNofollow, StatxBasicStats, buffer) != 0)
            throw new SyscallException("statx", Marshal.GetLastPInvokeError(), path);
        // struct statx (include/uapi/linux/stat.h): the offsets of the fields read here.
        var uid = *(uint*)(buffer + 20);
        var gid = *(uint*)(buffer + 24);
        var mode = *(ushort*)(buffer + 28);
        var size = *(ulong*)(buffer + 40);
        var mtimeSeconds = *(long*)(buffer + 112);
        var mtimeNanos = *(uint*)(buffer + 120);
        var rdevMajor = *(uint*)(buffer + 128);
        var rdevMinor = *(uint*)(buffer + 132);
        var mtime = DateTimeOffset.FromUnixTimeSeconds(mtimeSeconds).AddTicks(mtimeNanos / 100);
        return new FileStatus(mode, uid, gid, (long)size, mtime, rdevMajor, rdevMinor);
    }

    /// <summary>lchown(2).</summary>
    public static void Lchown(string path, uint uid, uint gid)
    {
        if (LchownNative(path, uid, gid) != 0)
            throw new SyscallException("lchown", Marshal.GetLastPInvokeError(), path);
    }

    /// <summary>lsetxattr(2): an extended attribute of the path itself.</summary>
    public static void SetXattr(string path, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
        {
            if (Lsetxattr(path, name, p, (nuint)value.Length, 0) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new SyscallException($"lsetxattr {name}", errno, path);
            }
        }
    }

    /// <summary>lgetxattr(2); null when the attribute is absent.</summary>
    public static byte[]? GetXattr(string path, string name)
    {
        var buffer = new byte[4096];
        fixed (byte* p = buffer)
        {
            var n = Lgetxattr(path, name, p, (nuint)buffer.Length);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == 61 /* ENODATA */)
                    return null;
                throw new SyscallException($"lgetxattr {name}", errno, path);
            }
            return buffer.AsSpan(0, (int)n).ToArray();
        }
    }

    /// <summary>mknod(2) for a character device, block device or fifo.</summary>
    public static void MakeNode(string path, UnixFileTypeKind kind, UnixFileMode permissions, uint major, uint minor)
    {
        var type = kind switch
        {
            UnixFileTypeKind.CharacterDevice => SFmtChr,
            UnixFileTypeKind.BlockDevice => SFmtBlk,
            UnixFileTypeKind.Fifo => SFmtFifo,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "mknod makes devices and fifos only"),
        };
        // makedev(3) as glibc encodes it.
        var dev = ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
        if (MknodNative(path, (uint)type | (uint)permissions, dev) != 0)
            throw new SyscallException("mknod", Marshal.GetLastPInvokeError(), path);
    }

    /// <summary>link(2): a hard link that names <paramref name="existing"/> itself, even when it is a symlink.</summary>
    public static void HardLink(string existing, string newPath)
    {
        if (Linkat(AtFdcwd, existing, AtFdcwd, newPath, 0) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SyscallException($"link {existing} to", errno, newPath);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;

        public static Timespec From(DateTimeOffset t)
        {
            var ticks = t.UtcTicks - DateTime.UnixEpoch.Ticks;
            var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rem);
            if (rem < 0)
            {
                seconds--;
                rem += TimeSpan.TicksPerSecond;
            }
            return new Timespec { Seconds = seconds, Nanoseconds = rem * 100 };
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxNative(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Utimensat(int dirfd, string path, Timespec* times, int flags);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LchownNative(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Lsetxattr(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint Lgetxattr(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "mknod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MknodNative(string path, uint mode, ulong dev);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Linkat(int olddirfd, string oldpath, int newdirfd, string newpath, int flags);
}

/// <summary>The kinds of special file <see cref="FileMetadata.MakeNode"/> creates.</summary>
public enum UnixFileTypeKind
{
    CharacterDevice,
    BlockDevice,
    Fifo,
}

/// <summary>What <see cref="FileMetadata.Lstat"/> reports: st_mode's type and permission bits as the kernel gives them.</summary>
public readonly record struct FileStatus(ushort Mode, uint Uid, uint Gid, long Size, DateTimeOffset ModificationTime, uint RdevMajor, uint RdevMinor)
{
    private const int TypeMask = 0xF000;

    public bool IsDirectory => (Mode & TypeMask) == 0x4000;
    public bool IsRegularFile => (Mode & TypeMask) == 0x8000;
    public bool IsSymlink => (Mode & TypeMask) == 0xA000;
    public bool IsCharDevice => (Mode & TypeMask) == 0x2000;
    public bool IsBlockDevice => (Mode & TypeMask) == 0x6000;
    public bool IsFifo => (Mode & TypeMask) == 0x1000;
    public bool IsSocket => (Mode & TypeMask) == 0xC000;

    /// <summary>The permission, setuid, setgid and sticky bits.</summary>
    public int Permissions => Mode & 0xFFF;
}
