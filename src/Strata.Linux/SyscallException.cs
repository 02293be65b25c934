using System.Runtime.InteropServices;

namespace Strata.Linux;

/// <summary>
/// A failed system call: the operation, the path it acted on and the errno, in one message. Callers read errno
/// (<see cref="Marshal.GetLastPInvokeError"/>) into a local right after the failing call, before formatting the
/// operation: formatting can make P/Invoke calls of its own that overwrite it (a mount's flags did, and the error
/// said "success").
/// </summary>
public sealed class SyscallException : Exception
{
    public SyscallException(string operation, int errno, string? path = null)
        : base(Format(operation, errno, path))
    {
        Operation = operation;
        Errno = errno;
        PathName = path;
    }

    public SyscallException() { }
    public SyscallException(string message) : base(message) { }
    public SyscallException(string message, Exception inner) : base(message, inner) { }

    public string Operation { get; } = "";
    public int Errno { get; }
    public string? PathName { get; }

    public static string ErrnoText(int errno) => Marshal.GetPInvokeErrorMessage(errno).ToLowerInvariant();

    private static string Format(string operation, int errno, string? path) =>
        path is null ? $"{operation}: {ErrnoText(errno)}" : $"{operation} {path}: {ErrnoText(errno)}";
}

public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ECHILD = 10;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int ENOSYS = 38;
    public const int ENOTEMPTY = 39;
    public const int ELOOP = 40;
    public const int EXDEV = 18;
}
