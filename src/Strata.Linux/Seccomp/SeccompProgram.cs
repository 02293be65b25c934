using System.Runtime.InteropServices;

namespace Strata.Linux.Seccomp;

/// <summary>
/// A BPF program libseccomp compiled before (<see cref="SeccompContext.ExportBpf"/>), installed with seccomp(2)
/// directly, as seccomp_load does after its compile: SECCOMP_SET_MODE_FILTER with the filter flags, no
/// no_new_privs of its own (the context is created with SCMP_FLTATR_CTL_NNP off).
/// </summary>
public static unsafe class SeccompProgram
{
    /// <summary>SECCOMP_FILTER_FLAG_LOG.</summary>
    public const uint FlagLog = 2;

    /// <summary>SECCOMP_FILTER_FLAG_SPEC_ALLOW.</summary>
    public const uint FlagSpecAllow = 4;

    private const long SysSeccomp = 317; // x86-64
    private const int SetModeFilter = 1;
    private const int MaxInstructions = 4096; // BPF_MAXINSNS

    /// <summary>Whether <paramref name="program"/> has the shape of struct sock_filter[] the kernel takes.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> program) =>
        program.Length > 0 && program.Length % 8 == 0 && program.Length / 8 <= MaxInstructions;

    /// <summary>Installs the program on the calling thread.</summary>
    public static void Load(ReadOnlySpan<byte> program, uint flags)
    {
        if (!IsWellFormed(program))
            throw new ArgumentException($"a seccomp program of {program.Length} bytes is not a BPF program", nameof(program));
        fixed (byte* filter = program)
        {
            var fprog = new SockFprog { Length = (ushort)(program.Length / 8), Filter = filter };
            if (Libc.Syscall(SysSeccomp, SetModeFilter, (nint)flags, (nint)(&fprog), 0, 0) != 0)
                throw new SyscallException("seccomp(SECCOMP_SET_MODE_FILTER)", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Installs the program, then execve(2), with argv and envp marshalled first (as <see cref="SeccompContext.LoadAndExec"/>).</summary>
    public static void LoadAndExec(byte[] program, uint flags, string path, IReadOnlyList<string> argv, IReadOnlyList<string> env)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(argv);
        ArgumentNullException.ThrowIfNull(env);
        var allocations = new List<nint>();
        try
        {
            var pathPtr = SeccompContext.ToNative(path, allocations);
            var argvPtr = SeccompContext.ToNative(argv, allocations);
            var envPtr = SeccompContext.ToNative(env, allocations);
            Load(program, flags);
            _ = Libc.Execve(pathPtr, argvPtr, envPtr);
            throw new SyscallException("exec", Marshal.GetLastPInvokeError(), path);
        }
        finally
        {
            foreach (var p in allocations)
                NativeMemory.Free((void*)p);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockFprog
    {
        public ushort Length;
        public byte* Filter;
    }
}
