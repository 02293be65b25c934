using System.Runtime.InteropServices;
using System.Text;

namespace Strata.Linux.Seccomp;

/// <summary>
/// A seccomp filter being built with libseccomp, then loaded into the calling thread.
/// </summary>
/// <remarks>
/// The filter is loaded with seccomp(2) without SECCOMP_FILTER_FLAG_TSYNC: it applies to the calling thread
/// only, the one that execs, and execve(2) carries it into the new program. The other threads of a .NET
/// process (GC, finalizer, signal handling) stay unfiltered and vanish at exec. Synchronising them would let a
/// strict profile break the runtime before the container's program even starts.
/// No_new_privs is never set by libseccomp here (SCMP_FLTATR_CTL_NNP off): process.noNewPrivileges decides
/// it, and without it loading a filter needs CAP_SYS_ADMIN.
/// </remarks>
public sealed unsafe class SeccompContext : IDisposable
{
    private readonly SeccompContextHandle _handle;

    private SeccompContext(SeccompContextHandle handle) => _handle = handle;

    /// <summary>The file name libseccomp is loaded from.</summary>
    public const string LibraryName = LibSeccomp.Lib;

    /// <summary>A filter for the native architecture that applies <paramref name="defaultAction"/> to every call no rule matches.</summary>
    public static SeccompContext Create(SeccompAction defaultAction)
    {
        var ptr = Bind(() => LibSeccomp.Init(defaultAction.Value));
        if (ptr == nint.Zero)
            throw new SyscallException($"seccomp_init (default action 0x{defaultAction.Value:x8})", Errno.EINVAL);
        var handle = new SeccompContextHandle();
        Marshal.InitHandle(handle, ptr);
        var context = new SeccompContext(handle);
        try
        {
            context.SetAttribute(LibSeccomp.FilterAttribute.NoNewPrivileges, 0);
            // Report the kernel's errno from seccomp_load, not libseccomp's generic ECANCELED.
            context.SetAttribute(LibSeccomp.FilterAttribute.RawReturnCodes, 1);
        }
        catch
        {
            context.Dispose();
            throw;
        }
        return context;
    }

    /// <summary>The audit architecture token (AUDIT_ARCH_*) of the machine libseccomp runs on.</summary>
    public static uint NativeArchitecture => Bind(LibSeccomp.ArchNative);

    /// <summary>An architecture by libseccomp's name for it ("x86_64", "x32", "aarch64"...).</summary>
    public static bool TryResolveArchitecture(string name, out uint token)
    {
        ArgumentNullException.ThrowIfNull(name);
        token = Bind(() => LibSeccomp.ArchResolveName(name));
        return token != 0;
    }

    /// <summary>
    /// A system call's number on the native architecture; false when libseccomp does not know the name.
    /// Calls that exist only on another architecture of the filter resolve to a negative pseudo number,
    /// which libseccomp translates per architecture.
    /// </summary>
    public static bool TryResolveSyscall(string name, out int number)
    {
        ArgumentNullException.ThrowIfNull(name);
        number = Bind(() => LibSeccomp.SyscallResolveName(name));
        return number != LibSeccomp.NrScmpError;
    }

    /// <summary>Makes the filter also cover calls made through another ABI, e.g. 32-bit x86 on x86-64.</summary>
    public void AddArchitecture(uint token)
    {
        var rc = LibSeccomp.ArchAdd(_handle, token);
        // The native architecture is in every new filter already.
        if (rc < 0 && -rc != Errno.EEXIST)
            throw new SyscallException($"seccomp_arch_add (0x{token:x8})", -rc);
    }

    /// <summary>SECCOMP_FILTER_FLAG_LOG: every action but allow is logged.</summary>
    public void SetLog(bool enabled) => SetAttribute(LibSeccomp.FilterAttribute.Log, enabled ? 1U : 0U);

    /// <summary>SECCOMP_FILTER_FLAG_SPEC_ALLOW: the kernel does not force the speculative store bypass mitigation.</summary>
    public void SetSpeculativeStoreBypass(bool allowed) => SetAttribute(LibSeccomp.FilterAttribute.SpeculativeStoreBypass, allowed ? 1U : 0U);

    /// <summary>
    /// A rule: <paramref name="action"/> for <paramref name="syscall"/> when every condition holds. libseccomp
    /// refuses a rule whose action is the filter's default (EACCES); callers leave those out.
    /// </summary>
    public void AddRule(SeccompAction action, int syscall, ReadOnlySpan<SeccompCondition> conditions)
    {
        if (conditions.Length > SeccompCondition.MaxArguments)
            throw new ArgumentException($"at most {SeccompCondition.MaxArguments} conditions", nameof(conditions));
        var args = stackalloc LibSeccomp.ArgCmp[SeccompCondition.MaxArguments];
        for (var i = 0; i < conditions.Length; i++)
        {
            var c = conditions[i];
            if (c.Argument >= SeccompCondition.MaxArguments)
                throw new ArgumentOutOfRangeException(nameof(conditions), c.Argument, "a system call argument index is 0-5");
            args[i] = new LibSeccomp.ArgCmp { Arg = c.Argument, Op = (int)c.Op, DatumA = c.A, DatumB = c.B };
        }
        var rc = LibSeccomp.RuleAddArray(_handle, action.Value, syscall, (uint)conditions.Length, args);
        if (rc < 0)
            throw new SyscallException($"seccomp_rule_add (syscall {syscall})", -rc);
    }

    /// <summary>Compiles the filter and installs it on the calling thread (seccomp(2), SECCOMP_SET_MODE_FILTER).</summary>
    public void Load()
    {
        var rc = LibSeccomp.Load(_handle);
        if (rc < 0)
            throw new SyscallException("seccomp_load", -rc);
    }

    /// <summary>
    /// Installs the filter, then execve(2): argv and envp are marshalled first, so on this thread nothing but
    /// seccomp_load and execve runs under the filter. Returns only by throwing.
    /// </summary>
    public void LoadAndExec(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(argv);
        ArgumentNullException.ThrowIfNull(env);
        var allocations = new List<nint>();
        try
        {
            var pathPtr = ToNative(path, allocations);
            var argvPtr = ToNative(argv, allocations);
            var envPtr = ToNative(env, allocations);
            var rc = LibSeccomp.Load(_handle);
            if (rc < 0)
                throw new SyscallException("seccomp_load", -rc);
            _ = Libc.Execve(pathPtr, argvPtr, envPtr);
            throw new SyscallException("exec", Marshal.GetLastPInvokeError(), path);
        }
        finally
        {
            foreach (var p in allocations)
                NativeMemory.Free((void*)p);
        }
    }

    /// <summary>Writes the compiled BPF program (struct sock_filter[]) to <paramref name="fd"/>.</summary>
    public void ExportBpf(SafeHandle fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        var added = false;
        fd.DangerousAddRef(ref added);
        try
        {
            var rc = LibSeccomp.ExportBpf(_handle, (int)fd.DangerousGetHandle());
            if (rc < 0)
                throw new SyscallException("seccomp_export_bpf", -rc);
        }
        finally
        {
            if (added)
                fd.DangerousRelease();
        }
    }

    public void Dispose() => _handle.Dispose();

    private void SetAttribute(LibSeccomp.FilterAttribute attribute, uint value)
    {
        var rc = LibSeccomp.AttrSet(_handle, attribute, value);
        if (rc < 0)
            throw new SyscallException($"seccomp_attr_set ({attribute} = {value})", -rc);
    }

    /// <summary>The first call into libseccomp is where a host without it shows; say so plainly.</summary>
    private static T Bind<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new SeccompUnavailableException($"{LibraryName} cannot be loaded (install libseccomp2, version 2.5 or later)", e);
        }
    }

    internal static byte* ToNative(string s, List<nint> allocations)
    {
        var length = Encoding.UTF8.GetByteCount(s);
        var p = (byte*)NativeMemory.Alloc((nuint)length + 1);
        allocations.Add((nint)p);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, length));
        p[length] = 0;
        return p;
    }

    internal static byte** ToNative(IReadOnlyList<string> items, List<nint> allocations)
    {
        var array = (byte**)NativeMemory.Alloc((nuint)(items.Count + 1), (nuint)sizeof(nint));
        allocations.Add((nint)array);
        for (var i = 0; i < items.Count; i++)
            array[i] = ToNative(items[i], allocations);
        array[items.Count] = null;
        return array;
    }
}

/// <summary>libseccomp is not installed, or too old for an entry point the runtime needs.</summary>
public sealed class SeccompUnavailableException : Exception
{
    public SeccompUnavailableException() { }
    public SeccompUnavailableException(string message) : base(message) { }
    public SeccompUnavailableException(string message, Exception inner) : base(message, inner) { }
}
