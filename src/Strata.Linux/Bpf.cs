using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Strata.Linux;

/// <summary>The bpf(2) calls cgroup v2 device control needs: load a program, attach it to a cgroup.</summary>
public static unsafe class Bpf
{
    private const long SysBpf = 321; // x86-64
    private const int BpfProgLoad = 5, BpfProgAttach = 8;
    private const uint ProgTypeCgroupDevice = 15, AttachTypeCgroupDevice = 6;
    /// <summary>BPF_F_ALLOW_OVERRIDE: a later attach to the same cgroup replaces the program (update).</summary>
    private const uint AllowOverride = 1;

    /// <summary>Loads a BPF_PROG_TYPE_CGROUP_DEVICE program; a verifier rejection carries the verifier's log.</summary>
    public static SafeFileHandle LoadCgroupDeviceProgram(ReadOnlySpan<ulong> instructions)
    {
        var license = "Apache\0"u8;
        const int LogSize = 64 * 1024;
        var log = (byte*)NativeMemory.AllocZeroed(LogSize);
        try
        {
            fixed (ulong* insns = instructions)
            fixed (byte* lic = license)
            {
                var attr = stackalloc byte[128];
                new Span<byte>(attr, 128).Clear();
                *(uint*)(attr + 0) = ProgTypeCgroupDevice;
                *(uint*)(attr + 4) = (uint)instructions.Length;
                *(ulong*)(attr + 8) = (ulong)insns;
                *(ulong*)(attr + 16) = (ulong)lic;
                var fd = Libc.Syscall(SysBpf, BpfProgLoad, (nint)attr, 128, 0, 0);
                if (fd < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    // Retry with the verifier's log to say why.
                    *(uint*)(attr + 24) = 1;
                    *(uint*)(attr + 28) = LogSize;
                    *(ulong*)(attr + 32) = (ulong)log;
                    _ = Libc.Syscall(SysBpf, BpfProgLoad, (nint)attr, 128, 0, 0);
                    var text = Marshal.PtrToStringUTF8((nint)log)?.Trim();
                    throw new SyscallException("bpf(BPF_PROG_LOAD) of the device filter", errno, string.IsNullOrEmpty(text) ? null : text);
                }
                return new SafeFileHandle((nint)fd, ownsHandle: true);
            }
        }
        finally
        {
            NativeMemory.Free(log);
        }
    }

    /// <summary>Attaches <paramref name="program"/> to the cgroup directory <paramref name="cgroupDir"/>.</summary>
    public static void AttachCgroupDevice(SafeFileHandle cgroupDir, SafeFileHandle program)
    {
        var attr = stackalloc byte[128];
        new Span<byte>(attr, 128).Clear();
        *(uint*)(attr + 0) = (uint)cgroupDir.DangerousGetHandle();
        *(uint*)(attr + 4) = (uint)program.DangerousGetHandle();
        *(uint*)(attr + 8) = AttachTypeCgroupDevice;
        *(uint*)(attr + 12) = AllowOverride;
        if (Libc.Syscall(SysBpf, BpfProgAttach, (nint)attr, 128, 0, 0) < 0)
            throw new SyscallException("bpf(BPF_PROG_ATTACH) of the device filter", Marshal.GetLastPInvokeError());
    }
}
