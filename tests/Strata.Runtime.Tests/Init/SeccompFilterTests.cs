using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Strata.Oci.Runtime;
using Strata.Runtime.Init;
using Strata.Runtime.Lifecycle;

namespace Strata.Runtime.Tests.Init;

public sealed class SeccompFilterTests
{
    private const uint AuditArchI386 = 0x40000003;
    private const ushort BpfRet = 0x06;
    private const ushort BpfJeq = 0x15;
    private const ushort BpfAnd = 0x54;

    private static LinuxSeccomp Profile(string action = "SCMP_ACT_ERRNO", string names = "mkdir", uint? errnoRet = null, params LinuxSeccompArg[] args) => new()
    {
        DefaultAction = "SCMP_ACT_ALLOW",
        Syscalls = [new LinuxSyscall { Names = [.. names.Split(',')], Action = action, ErrnoRet = errnoRet, Args = args.Length > 0 ? [.. args] : null }],
    };

    private static string Fails(LinuxSeccomp seccomp) => Assert.Throws<RuntimeException>(() => SeccompFilter.Validate(seccomp)).Message;

    /// <summary>The compiled program as (code, k) pairs of struct sock_filter {u16 code; u8 jt, jf; u32 k}.</summary>
    private static List<(ushort Code, uint K)> Bpf(LinuxSeccomp seccomp)
    {
        using var dir = new TempDir();
        var path = dir.P("filter.bpf");
        using (var filter = SeccompFilter.Compile(seccomp))
        using (var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write))
            filter.ExportBpf(file);
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 0 && bytes.Length % 8 == 0, $"{bytes.Length} bytes is not a BPF program");
        return [.. Enumerable.Range(0, bytes.Length / 8).Select(i => (BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 8 + 4))))];
    }

    [Fact]
    public void Validate_Null_NoError() => SeccompFilter.Validate(null);

    [Fact]
    public void Validate_UnknownDefaultAction_NamesIt()
    {
        var seccomp = Profile();
        seccomp.DefaultAction = "SCMP_ACT_SOMETIMES";

        Assert.Equal("linux.seccomp.defaultAction: unknown action \"SCMP_ACT_SOMETIMES\"", Fails(seccomp));
    }

    [Fact]
    public void Validate_EmptyDefaultAction_Required()
    {
        var seccomp = Profile();
        seccomp.DefaultAction = "";

        Assert.Equal("linux.seccomp.defaultAction is required", Fails(seccomp));
    }

    [Fact]
    public void Validate_UnknownSyscallAction_NamesRuleAndAction()
    {
        var seccomp = Profile();
        seccomp.Syscalls!.Add(new LinuxSyscall { Names = ["read"], Action = "SCMP_ACT_MAYBE" });

        Assert.Equal("linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_MAYBE\"", Fails(seccomp));
    }

    [Fact]
    public void Validate_Notify_NotSupported()
    {
        Assert.Equal("linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported by this version of strata-runtime", Fails(Profile("SCMP_ACT_NOTIFY")));
    }

    [Fact]
    public void Validate_UnknownOperator_NamesIt()
    {
        var message = Fails(Profile(args: new LinuxSeccompArg { Index = 1, Value = 2, Op = "SCMP_CMP_ROUGHLY" }));

        Assert.Equal("linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ROUGHLY\"", message);
    }

    [Fact]
    public void Validate_ArgumentIndexSix_Rejected()
    {
        var message = Fails(Profile(args: new LinuxSeccompArg { Index = 6, Op = "SCMP_CMP_EQ" }));

        Assert.Equal("linux.seccomp.syscalls[0].args[0].index: 6 is not a syscall argument (0-5)", message);
    }

    [Theory]
    [InlineData("SCMP_ARCH_VAX")]
    [InlineData("x86_64")]
    [InlineData("SCMP_ARCH_")]
    public void Validate_UnknownArchitecture_NamesIt(string arch)
    {
        var seccomp = Profile();
        seccomp.Architectures = ["SCMP_ARCH_X86_64", arch];

        Assert.StartsWith($"linux.seccomp.architectures: unknown architecture \"{arch}\"", Fails(seccomp));
    }

    [Fact]
    public void Validate_UnknownFlag_NamesIt()
    {
        var seccomp = Profile();
        seccomp.Flags = ["SECCOMP_FILTER_FLAG_NEW_LISTENER"];

        Assert.Equal("linux.seccomp.flags: unknown or unsupported flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"", Fails(seccomp));
    }

    [Fact]
    public void Validate_ErrnoRetAbove16Bits_Rejected()
    {
        Assert.Equal("linux.seccomp.syscalls[0].errnoRet: 70000 is out of range (0-65535)", Fails(Profile(errnoRet: 70000)));
    }

    [Fact]
    public void Validate_NoNames_Rejected()
    {
        var seccomp = Profile();
        seccomp.Syscalls![0].Names = [];

        Assert.Equal("linux.seccomp.syscalls[0].names: at least one syscall name is required", Fails(seccomp));
    }

    [Fact]
    public void Validate_KnownFlagsAndArchitectures_Accepted()
    {
        var seccomp = Profile();
        seccomp.Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"];
        seccomp.Flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"];

        SeccompFilter.Validate(seccomp);
    }

    [Theory]
    [InlineData("SCMP_ACT_KILL")]
    [InlineData("SCMP_ACT_KILL_THREAD")]
    [InlineData("SCMP_ACT_KILL_PROCESS")]
    [InlineData("SCMP_ACT_TRAP")]
    [InlineData("SCMP_ACT_ERRNO")]
    [InlineData("SCMP_ACT_TRACE")]
    [InlineData("SCMP_ACT_LOG")]
    public void Compile_EveryAction_Builds(string action)
    {
        using var filter = SeccompFilter.Compile(Profile(action));

        Assert.Empty(filter.UnknownSyscalls);
    }

    [Fact]
    public void Compile_UnknownSyscallName_SkippedAndReported()
    {
        using var filter = SeccompFilter.Compile(Profile(names: "mkdir,no_such_syscall,rmdir"));

        Assert.Equal(["no_such_syscall"], filter.UnknownSyscalls);
    }

    [Fact]
    public void Compile_RuleWithTheDefaultAction_Skipped()
    {
        // libseccomp refuses such a rule (EACCES); the default applies to the call anyway.
        using var filter = SeccompFilter.Compile(Profile("SCMP_ACT_ALLOW"));
    }

    [Fact]
    public void Compile_OtherArchitectureOnlySyscall_Accepted()
    {
        // socketcall exists on 32-bit x86 only; libseccomp resolves it to a pseudo number on x86-64.
        var seccomp = Profile(names: "socketcall");
        seccomp.Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"];

        using var filter = SeccompFilter.Compile(seccomp);

        Assert.Empty(filter.UnknownSyscalls);
    }

    [SkippableFact]
    public void ExportBpf_ErrnoRule_ReturnsErrnoForTheSyscall()
    {
        Skip.IfNot(RuntimeInformation.OSArchitecture == Architecture.X64, "the syscall number below is x86-64's");
        var bpf = Bpf(Profile(errnoRet: 38));

        Assert.Contains((BpfJeq, 83U /* __NR_mkdir */), bpf);
        Assert.Contains((BpfRet, 0x00050000U | 38), bpf);
        Assert.Contains((BpfRet, 0x7fff0000U), bpf);
    }

    [Fact]
    public void ExportBpf_DefaultErrno_EpermUnlessSet()
    {
        var bpf = Bpf(Profile());
        Assert.Contains((BpfRet, 0x00050000U | 1), bpf);

        var seccomp = Profile("SCMP_ACT_LOG");
        seccomp.DefaultAction = "SCMP_ACT_ERRNO";
        seccomp.DefaultErrnoRet = 38;
        Assert.Contains((BpfRet, 0x00050000U | 38), Bpf(seccomp));
    }

    [Fact]
    public void ExportBpf_MaskedEqual_MaskThenValue()
    {
        var bpf = Bpf(Profile(names: "chmod", args: new LinuxSeccompArg { Index = 1, Value = 0x800, ValueTwo = 0x800, Op = "SCMP_CMP_MASKED_EQ" }));

        Assert.Contains((BpfAnd, 0x800U), bpf);
        Assert.Contains((BpfJeq, 0x800U), bpf);
    }

    [Fact]
    public void ExportBpf_ExtraArchitecture_Checked()
    {
        var seccomp = Profile();
        seccomp.Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"];

        Assert.Contains((BpfJeq, AuditArchI386), Bpf(seccomp));
        Assert.DoesNotContain((BpfJeq, AuditArchI386), Bpf(Profile()));
    }

    [Fact]
    public void ContainerPlanFrom_BadSeccomp_FailsBeforeAnythingExists()
    {
        using var bundle = new TempDir();
        bundle.Dir("rootfs");
        var spec = DefaultSpec.Create();
        spec.Linux!.Seccomp = Profile("SCMP_ACT_SOMETIMES");

        var e = Assert.Throws<RuntimeException>(() => ContainerPlan.From(spec, bundle.Path, "c1"));

        Assert.Contains("SCMP_ACT_SOMETIMES", e.Message, StringComparison.Ordinal);
    }
    [Fact]
    public void CompileCached_Miss_StoresTheProgramLibseccompCompiles()
    {
        using var dir = new TempDir();
        var cache = dir.P("cache");

        var program = SeccompFilter.CompileCached(Profile(), cache);

        var files = Directory.GetFiles(cache);
        Assert.Single(files);
        Assert.EndsWith(".bpf", files[0], StringComparison.Ordinal);
        Assert.Equal(program, File.ReadAllBytes(files[0]));
        Assert.Equal(Bpf(Profile()), Pairs(program!));
    }

    [Fact]
    public void CompileCached_Hit_ReadsTheStoredProgram()
    {
        using var dir = new TempDir();
        var cache = dir.P("cache");
        SeccompFilter.CompileCached(Profile(), cache);
        var file = Directory.GetFiles(cache).Single();
        // Another profile's program in its place: what comes back is the file's, not a new compile.
        using (var other = SeccompFilter.Compile(Profile(names: "rmdir")))
        using (var handle = File.OpenHandle(file, FileMode.Create, FileAccess.Write))
            other.ExportBpf(handle);

        var program = SeccompFilter.CompileCached(Profile(), cache);

        Assert.Equal(Bpf(Profile(names: "rmdir")), Pairs(program!));
    }

    [Fact]
    public void CompileCached_DifferentProfilesAndTornFile_CompiledAnew()
    {
        using var dir = new TempDir();
        var cache = dir.P("cache");
        SeccompFilter.CompileCached(Profile(), cache);
        var file = Directory.GetFiles(cache).Single();
        File.WriteAllBytes(file, [1, 2, 3]);

        var again = SeccompFilter.CompileCached(Profile(), cache);
        SeccompFilter.CompileCached(Profile(names: "rmdir"), cache);

        Assert.Equal(Bpf(Profile()), Pairs(again!));
        Assert.Equal(2, Directory.GetFiles(cache).Length);
    }

    [Fact]
    public void CompileCached_BadProfile_FailsAndStoresNothing()
    {
        using var dir = new TempDir();
        var cache = dir.P("cache");
        var seccomp = Profile();
        seccomp.Architectures = ["SCMP_ARCH_NOSUCH"];

        Assert.Throws<RuntimeException>(() => SeccompFilter.CompileCached(seccomp, cache));
        Assert.Null(SeccompFilter.CompileCached(null, cache));

        Assert.True(!Directory.Exists(cache) || Directory.GetFiles(cache).Length == 0);
    }

    private static List<(ushort Code, uint K)> Pairs(byte[] bytes) =>
        [.. Enumerable.Range(0, bytes.Length / 8).Select(i => (BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 8 + 4))))];
}
