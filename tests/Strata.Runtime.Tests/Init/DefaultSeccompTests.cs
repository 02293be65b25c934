using System.Runtime.InteropServices;
using Strata.Oci.Runtime;
using Strata.Runtime.Init;

namespace Strata.Runtime.Tests.Init;

public sealed class DefaultSeccompTests
{
    private static IEnumerable<LinuxSyscall> RulesFor(LinuxSeccomp profile, string name) =>
        profile.Syscalls!.Where(s => s.Names.Contains(name));

    [Fact]
    public void Profile_EngineDefaults_CompilesWithLibseccomp()
    {
        var profile = DefaultSeccomp.Profile;

        using var filter = SeccompFilter.Compile(profile);

        Assert.Equal("SCMP_ACT_ERRNO", profile.DefaultAction);
        Assert.Equal(38U, profile.DefaultErrnoRet); // ENOSYS: unknown calls look like an older kernel
    }

    [Fact]
    public void For_X64_NativeAndCompatArchitectures()
    {
        var profile = DefaultSeccomp.For([], Architecture.X64);

        Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], profile.Architectures);
        Assert.Contains(RulesFor(profile, "arch_prctl"), r => r.Action == "SCMP_ACT_ALLOW");
    }

    [Fact]
    public void For_Arm64_ArmRulesNotX86()
    {
        var profile = DefaultSeccomp.For([], Architecture.Arm64);

        Assert.Equal(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], profile.Architectures);
        Assert.Empty(RulesFor(profile, "arch_prctl"));
        Assert.NotEmpty(RulesFor(profile, "cacheflush"));
    }

    [Fact]
    public void For_WithoutSysAdmin_SethostnameDeniedWithEperm()
    {
        var rules = RulesFor(DefaultSeccomp.For(DefaultSpec.EngineCapabilities), "sethostname").ToList();

        var rule = Assert.Single(rules);
        Assert.Equal("SCMP_ACT_ERRNO", rule.Action);
        Assert.Equal(1U, rule.ErrnoRet);
    }

    [Fact]
    public void For_WithSysAdmin_SethostnameAllowed()
    {
        var rules = RulesFor(DefaultSeccomp.For(["CAP_SYS_ADMIN"]), "sethostname").ToList();

        Assert.Equal("SCMP_ACT_ALLOW", Assert.Single(rules).Action);
    }

    [Fact]
    public void For_ConditionalRules_KeepTheirArguments()
    {
        var personality = RulesFor(DefaultSeccomp.Profile, "personality").ToList();

        Assert.Contains(personality, r => r.Args is [{ Index: 0, Value: 0xffffffff, Op: "SCMP_CMP_EQ" }]);
    }
}
