using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Strata.Linux.Seccomp;

namespace Strata.Runtime.Tests.Linux;

/// <summary>
/// The libseccomp constants and struct layout the bindings spell by hand, checked against the installed
/// seccomp.h by compiling a C program (the Tmds.LibC way).
/// </summary>
public sealed class SeccompConstantsTests
{
    private const string Header = "/usr/include/seccomp.h";

    private const string Program = """
        #include <stddef.h>
        #include <stdio.h>
        #include <seccomp.h>
        #define P(name, value) printf("%s=%lld\n", name, (long long)(value))
        int main(void) {
            P("KILL_PROCESS", SCMP_ACT_KILL_PROCESS); P("KILL_THREAD", SCMP_ACT_KILL_THREAD); P("KILL", SCMP_ACT_KILL);
            P("TRAP", SCMP_ACT_TRAP); P("NOTIFY", SCMP_ACT_NOTIFY); P("LOG", SCMP_ACT_LOG); P("ALLOW", SCMP_ACT_ALLOW);
            P("ERRNO_38", SCMP_ACT_ERRNO(38)); P("TRACE_7", SCMP_ACT_TRACE(7));
            P("CMP_NE", SCMP_CMP_NE); P("CMP_LT", SCMP_CMP_LT); P("CMP_LE", SCMP_CMP_LE); P("CMP_EQ", SCMP_CMP_EQ);
            P("CMP_GE", SCMP_CMP_GE); P("CMP_GT", SCMP_CMP_GT); P("CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ);
            P("FLTATR_ACT_DEFAULT", SCMP_FLTATR_ACT_DEFAULT); P("FLTATR_ACT_BADARCH", SCMP_FLTATR_ACT_BADARCH);
            P("FLTATR_CTL_NNP", SCMP_FLTATR_CTL_NNP); P("FLTATR_CTL_LOG", SCMP_FLTATR_CTL_LOG);
            P("FLTATR_CTL_SSB", SCMP_FLTATR_CTL_SSB); P("FLTATR_CTL_OPTIMIZE", SCMP_FLTATR_CTL_OPTIMIZE);
            P("FLTATR_API_SYSRAWRC", SCMP_FLTATR_API_SYSRAWRC);
            P("NR_SCMP_ERROR", __NR_SCMP_ERROR);
            P("sizeof_arg_cmp", sizeof(struct scmp_arg_cmp)); P("offset_arg", offsetof(struct scmp_arg_cmp, arg));
            P("offset_op", offsetof(struct scmp_arg_cmp, op)); P("offset_datum_a", offsetof(struct scmp_arg_cmp, datum_a));
            P("offset_datum_b", offsetof(struct scmp_arg_cmp, datum_b));
            return 0;
        }
        """;

    private static Dictionary<string, long> FromHeader()
    {
        using var dir = new TempDir();
        var source = dir.File("constants.c", Program);
        var binary = dir.P("constants");
        Run("clang", "-o", binary, source);
        return Run(binary).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('='))
            .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
    }

    private static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} failed: {stderr}");
        return stdout.Result;
    }

    private static Type Internal(string name) => typeof(SeccompContext).Assembly.GetType("Strata.Linux.Seccomp." + name, throwOnError: true)!;

    [Fact]
    public void Constants_MatchSeccompHeader()
    {
        Assert.True(File.Exists(Header), $"{Header} is missing: install libseccomp-dev (scripts/deps.sh does)");
        var c = FromHeader();
        void Check(string name, long ours) => Assert.True(c[name] == ours, $"{name}: seccomp.h says {c[name]}, the bindings {ours}");

        Check("KILL_PROCESS", SeccompAction.KillProcess.Value);
        Check("KILL_THREAD", SeccompAction.KillThread.Value);
        Check("KILL", SeccompAction.KillThread.Value);
        Check("TRAP", SeccompAction.Trap.Value);
        Check("NOTIFY", SeccompAction.Notify.Value);
        Check("LOG", SeccompAction.Log.Value);
        Check("ALLOW", SeccompAction.Allow.Value);
        Check("ERRNO_38", SeccompAction.Errno(38).Value);
        Check("TRACE_7", SeccompAction.Trace(7).Value);

        Check("CMP_NE", (long)SeccompCompare.NotEqual);
        Check("CMP_LT", (long)SeccompCompare.LessThan);
        Check("CMP_LE", (long)SeccompCompare.LessOrEqual);
        Check("CMP_EQ", (long)SeccompCompare.Equal);
        Check("CMP_GE", (long)SeccompCompare.GreaterOrEqual);
        Check("CMP_GT", (long)SeccompCompare.GreaterThan);
        Check("CMP_MASKED_EQ", (long)SeccompCompare.MaskedEqual);

        var attribute = Internal("LibSeccomp+FilterAttribute");
        long Attr(string name) => Convert.ToInt64(Enum.Parse(attribute, name), CultureInfo.InvariantCulture);
        Check("FLTATR_ACT_DEFAULT", Attr("DefaultAction"));
        Check("FLTATR_ACT_BADARCH", Attr("BadArchAction"));
        Check("FLTATR_CTL_NNP", Attr("NoNewPrivileges"));
        Check("FLTATR_CTL_LOG", Attr("Log"));
        Check("FLTATR_CTL_SSB", Attr("SpeculativeStoreBypass"));
        Check("FLTATR_CTL_OPTIMIZE", Attr("Optimize"));
        Check("FLTATR_API_SYSRAWRC", Attr("RawReturnCodes"));

        Check("NR_SCMP_ERROR", Convert.ToInt64(Internal("LibSeccomp").GetField("NrScmpError", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null), CultureInfo.InvariantCulture));

        var argCmp = Internal("LibSeccomp+ArgCmp");
        Check("sizeof_arg_cmp", Marshal.SizeOf(argCmp));
        Check("offset_arg", Marshal.OffsetOf(argCmp, "Arg"));
        Check("offset_op", Marshal.OffsetOf(argCmp, "Op"));
        Check("offset_datum_a", Marshal.OffsetOf(argCmp, "DatumA"));
        Check("offset_datum_b", Marshal.OffsetOf(argCmp, "DatumB"));
    }

    [Fact]
    public void ResolveSyscall_UnknownName_False()
    {
        Assert.True(SeccompContext.TryResolveSyscall("read", out _));
        Assert.False(SeccompContext.TryResolveSyscall("no_such_syscall", out _));
    }

    [SkippableFact]
    public void ResolveArchitecture_NativeName_IsNative()
    {
        Skip.IfNot(RuntimeInformation.OSArchitecture == Architecture.X64, "the native architecture's name below is x86-64's");
        Assert.True(SeccompContext.TryResolveArchitecture("x86_64", out var token));
        Assert.Equal(SeccompContext.NativeArchitecture, token);
        Assert.False(SeccompContext.TryResolveArchitecture("vax", out _));
    }
}
