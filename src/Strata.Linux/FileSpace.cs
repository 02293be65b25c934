using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Strata.Linux;

/// <summary>
/// Disk space and writeback of a file being written sequentially: reserving its blocks up front and starting
/// the writeback of what is written as it is written, so the fsync that makes the file durable has little left
/// to do. Both are hints: where a filesystem does not support them they report false and change nothing.
/// </summary>
public static partial class FileSpace
{
    private const int FallocFlKeepSize = 0x01;
    private const uint SyncFileRangeWrite = 0x2;
    private const int EFBIG = 27;
    private const int ENOSPC = 28;
    private const int ESPIPE = 29;
    private const int EOPNOTSUPP = 95;

    /// <summary>
    /// Allocates the blocks of [<paramref name="offset"/>, offset + <paramref name="length"/>) without changing
    /// the file's size (fallocate(2) FALLOC_FL_KEEP_SIZE), so a file that is then filled up to there gets
    /// contiguous extents and no block allocation per write. False where the filesystem cannot (EOPNOTSUPP),
    /// there is no room (ENOSPC: the writes report it then, as they would have), or the range is beyond
    /// what a file may hold (EFBIG, EINVAL).
    /// </summary>
    public static bool TryReserve(SafeFileHandle file, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length <= 0)
        {
            return true;
        }
        if (Fallocate(file, FallocFlKeepSize, offset, length) == 0)
        {
            return true;
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno is EOPNOTSUPP or ENOSPC or Errno.ENOSYS or EFBIG or Errno.EINVAL
            ? false
            : throw new SyscallException("fallocate", errno);
    }

    /// <summary>
    /// Starts writing [<paramref name="offset"/>, offset + <paramref name="length"/>) back to disk without
    /// waiting for it (sync_file_range(2) SYNC_FILE_RANGE_WRITE). This makes nothing durable by itself (no
    /// metadata, no device cache flush): the fsync that follows does, and then finds the data already written.
    /// </summary>
    public static bool TryStartWriteback(SafeFileHandle file, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (SyncFileRange(file, offset, length, SyncFileRangeWrite) == 0)
        {
            return true;
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno is EOPNOTSUPP or Errno.ENOSYS or ESPIPE
            ? false
            : throw new SyscallException("sync_file_range", errno);
    }

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int Fallocate(SafeFileHandle fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(SafeFileHandle fd, long offset, long nbytes, uint flags);
}
