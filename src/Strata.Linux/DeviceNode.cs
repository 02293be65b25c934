using System.Runtime.InteropServices;

namespace Strata.Linux;

/// <summary>A device node's type ('c' or 'b'), numbers and permission bits, as docker's --device reads them from the host.</summary>
public readonly record struct DeviceNode(char Type, uint Major, uint Minor, uint Mode)
{
    private const long SysStatx = 332; // x86-64
    private const int AtFdcwd = -100;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>statx(2) of <paramref name="path"/> (following symlinks); null when it is not a device node.</summary>
    public static unsafe DeviceNode? TryStat(string path)
    {
        using var native = new NativeStrings();
        var p = native.Add(path);
        var buffer = stackalloc byte[256];
        if (Libc.Syscall(SysStatx, AtFdcwd, (nint)p, 0, (nint)StatxBasicStats, (nint)buffer) != 0)
            throw new SyscallException("statx", Marshal.GetLastPInvokeError(), path);
        var mode = *(ushort*)(buffer + 28);
        var type = (mode & 0xf000) switch
        {
            0x2000 => 'c',
            0x6000 => 'b',
            _ => '\0',
        };
        return type == '\0' ? null : new DeviceNode(type, *(uint*)(buffer + 128), *(uint*)(buffer + 132), (uint)mode & 0xfff);
    }
}
