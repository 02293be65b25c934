using System.Runtime.InteropServices;
using Strata.Linux;
using Strata.Linux.Seccomp;
using Strata.Oci.Runtime;

namespace Strata.Runtime.Init;

/// <summary>
/// linux.seccomp (config-linux.md, "Seccomp") compiled with libseccomp into a filter for the container's
/// process. The init compiles it, loads it on the thread that execs, and execve(2) carries it into the
/// program. Unknown actions, operators, architectures and flags are errors naming them; a syscall name
/// libseccomp does not know is skipped, as runc does, since profiles list calls of newer kernels.
/// </summary>
public sealed class SeccompFilter : IDisposable
{
    private const string Field = "linux.seccomp";
    private const string ArchPrefix = "SCMP_ARCH_";

    private static readonly Dictionary<string, SeccompCompare> Operators = new(StringComparer.Ordinal)
    {
        ["SCMP_CMP_NE"] = SeccompCompare.NotEqual,
        ["SCMP_CMP_LT"] = SeccompCompare.LessThan,
        ["SCMP_CMP_LE"] = SeccompCompare.LessOrEqual,
        ["SCMP_CMP_EQ"] = SeccompCompare.Equal,
        ["SCMP_CMP_GE"] = SeccompCompare.GreaterOrEqual,
        ["SCMP_CMP_GT"] = SeccompCompare.GreaterThan,
        ["SCMP_CMP_MASKED_EQ"] = SeccompCompare.MaskedEqual,
    };

    /// <summary>The directory under the runtime's root that holds compiled programs (not a valid container id: '@').</summary>
    public const string CacheDirectoryName = "@seccomp";

    private readonly SeccompContext? _context;
    private readonly byte[]? _program;
    private readonly uint _flags;

    private SeccompFilter(SeccompContext context, List<string> unknownSyscalls)
    {
        _context = context;
        UnknownSyscalls = unknownSyscalls;
    }

    private SeccompFilter(byte[] program, uint flags)
    {
        _program = program;
        _flags = flags;
        UnknownSyscalls = [];
    }

    /// <summary>Syscall names libseccomp does not know on this machine; their rules were left out.</summary>
    public IReadOnlyList<string> UnknownSyscalls { get; }

    /// <summary>
    /// Everything that can make <see cref="Compile"/> fail, checked in the parent before anything exists:
    /// the names first (no libseccomp needed), then a trial compile.
    /// </summary>
    public static void Validate(LinuxSeccomp? seccomp)
    {
        if (seccomp is null)
            return;
        using var filter = Compile(seccomp);
    }

    public static SeccompFilter Compile(LinuxSeccomp seccomp)
    {
        ArgumentNullException.ThrowIfNull(seccomp);
        CheckNames(seccomp);
        try
        {
            return Build(seccomp);
        }
        catch (SeccompUnavailableException e)
        {
            throw new RuntimeException($"{Field}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The profile's program, compiled once per profile and kept under <paramref name="cacheDirectory"/> (the
    /// runtime's root): libseccomp's compile of docker's default profile costs a container's create more CPU
    /// than the rest of the runtime's own work, and an engine starts the same profile again and again. A miss
    /// validates and compiles (the errors <see cref="Validate"/> gives), then stores the program; a hit
    /// means this profile compiled on this kernel with this libseccomp before, so it is valid. Null without a
    /// profile. The key is the profile as JSON, the kernel's release and the identity of libseccomp's file.
    /// </summary>
    public static byte[]? CompileCached(LinuxSeccomp? seccomp, string cacheDirectory)
    {
        if (seccomp is null)
            return null;
        ArgumentNullException.ThrowIfNull(cacheDirectory);
        var path = Path.Combine(cacheDirectory, CacheKey(seccomp) + ".bpf");
        try
        {
            var cached = File.ReadAllBytes(path);
            if (SeccompProgram.IsWellFormed(cached))
                return cached;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        using var filter = Compile(seccomp);
        var staging = Path.Combine(cacheDirectory, $".{Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)}.bpf.tmp");
        Directory.CreateDirectory(cacheDirectory);
        byte[] program;
        try
        {
            using (var file = File.OpenHandle(staging, FileMode.Create, FileAccess.ReadWrite))
                filter.ExportBpf(file);
            program = File.ReadAllBytes(staging);
            // rename(2): a concurrent create reads the old file or the new one, never half of one.
            File.Move(staging, path, overwrite: true);
        }
        finally
        {
            File.Delete(staging);
        }
        return program;
    }

    /// <summary>A program from <see cref="CompileCached"/>, with the profile's filter flags.</summary>
    public static SeccompFilter FromProgram(byte[] program, LinuxSeccomp seccomp)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(seccomp);
        if (!SeccompProgram.IsWellFormed(program))
            throw new RuntimeException($"{Field}: the compiled filter of {program.Length} bytes is not a BPF program");
        var flags = 0U;
        foreach (var flag in seccomp.Flags ?? [])
        {
            // As Build: TSYNC is ignored, the filter is for the thread that execs.
            if (flag == "SECCOMP_FILTER_FLAG_LOG")
                flags |= SeccompProgram.FlagLog;
            else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
                flags |= SeccompProgram.FlagSpecAllow;
        }
        return new SeccompFilter(program, flags);
    }

    /// <summary>Installs the filter on the calling thread; the caller still has work to do before exec.</summary>
    public void Load()
    {
        if (_program is not null)
            SeccompProgram.Load(_program, _flags);
        else
            _context!.Load();
    }

    /// <summary>Installs the filter and execs, with nothing managed in between (see <see cref="SeccompContext.LoadAndExec"/>).</summary>
    public void LoadAndExec(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env)
    {
        if (_program is not null)
            SeccompProgram.LoadAndExec(_program, _flags, path, argv, env);
        else
            _context!.LoadAndExec(path, argv, env);
    }

    /// <summary>The BPF program the kernel would get, for tests and debugging.</summary>
    public void ExportBpf(SafeHandle fd)
    {
        if (_program is not null)
            Sys.WriteAll(fd, _program);
        else
            _context!.ExportBpf(fd);
    }

    public void Dispose() => _context?.Dispose();

    private static string CacheKey(LinuxSeccomp seccomp)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(seccomp, RuntimeJsonContext.Default.LinuxSeccomp));
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes("\n" + ReadOrEmpty("/proc/sys/kernel/osrelease") + "\n" + LibraryIdentity()));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>Size and modification time of the libseccomp the dynamic loader would find, so an upgrade compiles anew.</summary>
    private static string LibraryIdentity()
    {
        foreach (var dir in (string[])["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/usr/local/lib"])
        {
            var file = new FileInfo(Path.Combine(dir, SeccompContext.LibraryName));
            if (file.Exists)
                return $"{file.FullName} {file.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)} {file.LastWriteTimeUtc.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }
        return "";
    }

    /// <summary>The checks that need no libseccomp: actions, operators, architecture and flag names, argument indexes.</summary>
    public static void CheckNames(LinuxSeccomp? seccomp)
    {
        if (seccomp is null)
            return;
        _ = ParseAction(seccomp.DefaultAction, seccomp.DefaultErrnoRet, $"{Field}.defaultAction", $"{Field}.defaultErrnoRet");
        foreach (var arch in seccomp.Architectures ?? [])
        {
            if (!arch.StartsWith(ArchPrefix, StringComparison.Ordinal) || arch.Length == ArchPrefix.Length)
                throw new RuntimeException($"{Field}.architectures: unknown architecture \"{arch}\"");
        }
        foreach (var flag in seccomp.Flags ?? [])
        {
            if (flag is not ("SECCOMP_FILTER_FLAG_TSYNC" or "SECCOMP_FILTER_FLAG_LOG" or "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
                throw new RuntimeException($"{Field}.flags: unknown or unsupported flag \"{flag}\"");
        }
        var syscalls = seccomp.Syscalls ?? [];
        for (var i = 0; i < syscalls.Count; i++)
        {
            var call = syscalls[i];
            var at = $"{Field}.syscalls[{i}]";
            if (call.Names is not { Count: > 0 })
                throw new RuntimeException($"{at}.names: at least one syscall name is required");
            _ = ParseAction(call.Action, call.ErrnoRet, $"{at}.action", $"{at}.errnoRet");
            _ = Conditions(call, at);
        }
    }

    private static SeccompFilter Build(LinuxSeccomp seccomp)
    {
        var defaultAction = ParseAction(seccomp.DefaultAction, seccomp.DefaultErrnoRet, $"{Field}.defaultAction", $"{Field}.defaultErrnoRet");
        var context = SeccompContext.Create(defaultAction);
        try
        {
            foreach (var arch in seccomp.Architectures ?? [])
            {
                // libseccomp's names are the spec's without the prefix: SCMP_ARCH_X86_64 -> x86_64.
                if (!SeccompContext.TryResolveArchitecture(arch[ArchPrefix.Length..].ToLowerInvariant(), out var token))
                    throw new RuntimeException($"{Field}.architectures: unknown architecture \"{arch}\" (not supported by the installed libseccomp)");
                Wrap(() => context.AddArchitecture(token), $"{Field}.architectures: {arch}");
            }
            foreach (var flag in seccomp.Flags ?? [])
            {
                // TSYNC is accepted and ignored: the filter is for the thread that execs, see SeccompContext.
                if (flag == "SECCOMP_FILTER_FLAG_LOG")
                    Wrap(() => context.SetLog(true), $"{Field}.flags: {flag}");
                else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
                    Wrap(() => context.SetSpeculativeStoreBypass(true), $"{Field}.flags: {flag}");
            }

            var unknown = new List<string>();
            var syscalls = seccomp.Syscalls ?? [];
            for (var i = 0; i < syscalls.Count; i++)
            {
                var call = syscalls[i];
                var at = $"{Field}.syscalls[{i}]";
                var action = ParseAction(call.Action, call.ErrnoRet, $"{at}.action", $"{at}.errnoRet");
                // libseccomp refuses a rule that repeats the default action; the default covers it anyway.
                if (action == defaultAction)
                    continue;
                var conditions = Conditions(call, at);
                // runc's rule: conditions on distinct arguments must all hold (one rule); when two name the
                // same argument, each becomes a rule of its own, so any of them matching is enough.
                var sharedArgument = conditions.Select(c => c.Argument).Distinct().Count() < conditions.Length;
                foreach (var name in call.Names)
                {
                    if (!SeccompContext.TryResolveSyscall(name, out var number))
                    {
                        unknown.Add(name);
                        continue;
                    }
                    if (sharedArgument)
                    {
                        foreach (var condition in conditions)
                            Wrap(() => context.AddRule(action, number, [condition]), $"{at}: {name}");
                    }
                    else
                    {
                        Wrap(() => context.AddRule(action, number, conditions), $"{at}: {name}");
                    }
                }
            }
            return new SeccompFilter(context, unknown);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    private static SeccompCondition[] Conditions(LinuxSyscall call, string at)
    {
        var args = call.Args ?? [];
        var conditions = new SeccompCondition[args.Count];
        for (var j = 0; j < args.Count; j++)
        {
            var arg = args[j];
            if (arg.Index >= SeccompCondition.MaxArguments)
                throw new RuntimeException($"{at}.args[{j}].index: {arg.Index} is not a syscall argument (0-{SeccompCondition.MaxArguments - 1})");
            if (!Operators.TryGetValue(arg.Op, out var op))
                throw new RuntimeException($"{at}.args[{j}].op: unknown operator \"{arg.Op}\"");
            // For SCMP_CMP_MASKED_EQ value is the mask and valueTwo the value to compare with.
            conditions[j] = op == SeccompCompare.MaskedEqual
                ? new SeccompCondition(arg.Index, op, arg.Value, arg.ValueTwo)
                : new SeccompCondition(arg.Index, op, arg.Value);
        }
        return conditions;
    }

    /// <summary>
    /// An action name as the spec spells it. errnoRet applies to SCMP_ACT_ERRNO and SCMP_ACT_TRACE
    /// (default EPERM, as runc); SECCOMP_RET_DATA holds 16 bits.
    /// </summary>
    private static SeccompAction ParseAction(string name, uint? errnoRet, string field, string errnoField)
    {
        int Data()
        {
            var value = errnoRet ?? Errno.EPERM;
            if (value > SeccompAction.MaxData)
                throw new RuntimeException($"{errnoField}: {value} is out of range (0-{SeccompAction.MaxData})");
            return (int)value;
        }
        return name switch
        {
            "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => SeccompAction.KillThread,
            "SCMP_ACT_KILL_PROCESS" => SeccompAction.KillProcess,
            "SCMP_ACT_TRAP" => SeccompAction.Trap,
            "SCMP_ACT_ERRNO" => SeccompAction.Errno(Data()),
            "SCMP_ACT_TRACE" => SeccompAction.Trace(Data()),
            "SCMP_ACT_ALLOW" => SeccompAction.Allow,
            "SCMP_ACT_LOG" => SeccompAction.Log,
            "SCMP_ACT_NOTIFY" => throw new RuntimeException($"{field}: SCMP_ACT_NOTIFY is not supported by this version of strata-runtime"),
            "" => throw new RuntimeException($"{field} is required"),
            _ => throw new RuntimeException($"{field}: unknown action \"{name}\""),
        };
    }

    private static void Wrap(Action call, string context)
    {
        try
        {
            call();
        }
        catch (SyscallException e)
        {
            throw new RuntimeException($"{context}: {e.Message}", e);
        }
    }
}
