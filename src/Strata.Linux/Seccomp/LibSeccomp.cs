using System.Runtime.InteropServices;

namespace Strata.Linux.Seccomp;

/// <summary>
/// libseccomp's entry points (seccomp.h, libseccomp 2.5). The library is bound lazily at the first call, not
/// at link time like libc: a host without libseccomp2 runs every container that asks for no seccomp profile.
/// Functions that can fail return a negative errno; none of them sets errno. Only the system's library
/// directories are searched (System32 means the default dlopen search on Linux), never the runtime
/// binary's own directory.
/// </summary>
internal static unsafe partial class LibSeccomp
{
    internal const string Lib = "libseccomp.so.2";

    /// <summary>seccomp_syscall_resolve_name's answer for a name it does not know (__NR_SCMP_ERROR).</summary>
    internal const int NrScmpError = -1;

    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [LibraryImport(Lib, EntryPoint = "seccomp_init")]
    internal static partial nint Init(uint defaultAction);

    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [LibraryImport(Lib, EntryPoint = "seccomp_release")]
    internal static partial void Release(nint ctx);

    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [LibraryImport(Lib, EntryPoint = "seccomp_arch_native")]
    internal static partial uint ArchNative();

    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [LibraryImport(Lib, EntryPoint = "seccomp_arch_resolve_name", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial uint ArchResolveName(string name);

    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [LibraryImport(Lib, EntryPoint = "seccomp_arch_add")]
    internal static partial int ArchAdd(SeccompContextHandle ctx, uint archToken);

    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [LibraryImport(Lib, EntryPoint = "seccomp_syscall_resolve_name", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SyscallResolveName(string name);

    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [LibraryImport(Lib, EntryPoint = "seccomp_attr_set")]
    internal static partial int AttrSet(SeccompContextHandle ctx, FilterAttribute attr, uint value);

    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [LibraryImport(Lib, EntryPoint = "seccomp_rule_add_array")]
    internal static partial int RuleAddArray(SeccompContextHandle ctx, uint action, int syscall, uint argCount, ArgCmp* args);

    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [LibraryImport(Lib, EntryPoint = "seccomp_load")]
    internal static partial int Load(SeccompContextHandle ctx);

    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [LibraryImport(Lib, EntryPoint = "seccomp_export_bpf")]
    internal static partial int ExportBpf(SeccompContextHandle ctx, int fd);

    /// <summary>enum scmp_filter_attr.</summary>
    internal enum FilterAttribute
    {
        DefaultAction = 1,
        BadArchAction = 2,
        NoNewPrivileges = 3,
        // 4, SCMP_FLTATR_CTL_TSYNC, is deliberately absent: see SeccompContext.
        Log = 6,
        SpeculativeStoreBypass = 7,
        Optimize = 8,
        RawReturnCodes = 9,
    }

    /// <summary>struct scmp_arg_cmp.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ArgCmp
    {
        public uint Arg;
        public int Op;
        public ulong DatumA;
        public ulong DatumB;
    }
}
