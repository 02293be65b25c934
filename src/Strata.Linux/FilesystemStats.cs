using System.Runtime.InteropServices;

namespace Strata.Linux;

/// <summary>A filesystem's size and free room, in bytes and inodes (statfs(2)).</summary>
/// <param name="AvailableBytes">Free for an unprivileged writer (f_bavail), which is what a container can still use.</param>
public readonly record struct FilesystemStats(ulong TotalBytes, ulong FreeBytes, ulong AvailableBytes, ulong TotalInodes, ulong FreeInodes)
{
    /// <summary>The filesystem holding <paramref name="path"/>; null when the path is gone.</summary>
    public static unsafe FilesystemStats? TryOf(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Libc.StatfsBuffer buf;
        if (Libc.Statfs(path, &buf) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            const int ENOENT = 2, ENOTDIR = 20;
            return errno is ENOENT or ENOTDIR ? null : throw new SyscallException("statfs", errno, path);
        }
        ulong unit = (ulong)buf.BlockSize;
        return new FilesystemStats(buf.Blocks * unit, buf.FreeBlocks * unit, buf.AvailableBlocks * unit, buf.Files, buf.FreeFiles);
    }
}
