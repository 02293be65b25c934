using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Strata.Oci.Runtime;

namespace Strata.Oci.Tests.Runtime;

public sealed class DefaultSeccompTests
{
    private static readonly string GoldenDir = Path.Combine(AppContext.BaseDirectory, "Runtime", "Golden");

    // Beyond the engines' defaults: every capability some rule of the profile includes or excludes.
    private static readonly string[] AllCapabilities =
    [
        .. DefaultSpec.EngineCapabilities, "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_SYS_BOOT", "CAP_SYS_TIME",
        "CAP_SYSLOG", "CAP_SYS_PACCT", "CAP_SYS_RAWIO", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TTY_CONFIG", "CAP_BPF",
        "CAP_PERFMON", "CAP_DAC_READ_SEARCH", "CAP_IPC_LOCK", "CAP_LEASE", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_MAC_ADMIN",
        "CAP_NET_ADMIN", "CAP_AUDIT_CONTROL", "CAP_AUDIT_READ", "CAP_CHECKPOINT_RESTORE",
    ];

    private static IEnumerable<LinuxSyscall> RulesFor(LinuxSeccomp profile, string name) =>
        profile.Syscalls!.Where(s => s.Names.Contains(name));

    private static string Serialize(LinuxSeccomp profile) =>
        SpecLoader.Serialize(new Spec { OciVersion = "1.0.2", Linux = new Linux { Seccomp = profile } });

    [Fact]
    public void ProfileJson_Embedded_IsContainersCommonsProfile()
    {
        using var doc = JsonDocument.Parse(DefaultSeccomp.ProfileJson);

        Assert.Equal("SCMP_ACT_ERRNO", doc.RootElement.GetProperty("defaultAction").GetString());
        Assert.Equal(35, doc.RootElement.GetProperty("syscalls").GetArrayLength());
    }

    /// <summary>
    /// The profiles produced for every architecture and three capability sets are those the profile
    /// produced when it was a C# string literal: Golden/DefaultSeccomp.sha256 holds the SHA-256 of each,
    /// serialized as in config.json, and Golden/DefaultSeccomp.X64.engine.json the x86-64 engine one in full.
    /// </summary>
    [Fact]
    public void For_EveryArchitectureAndCapabilitySet_MatchesGolden()
    {
        var sets = new Dictionary<string, string[]> { ["none"] = [], ["engine"] = [.. DefaultSpec.EngineCapabilities], ["all"] = AllCapabilities };
        var lines = File.ReadAllLines(Path.Combine(GoldenDir, "DefaultSeccomp.sha256"));

        Assert.Equal(27, lines.Length);
        foreach (var line in lines)
        {
            var (arch, set, expected) = line.Split(' ') switch { [var a, var s, var h] => (Enum.Parse<Architecture>(a), s, h), _ => throw new FormatException(line) };
            var actual = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Serialize(DefaultSeccomp.For(sets[set], arch)))));
            Assert.True(expected == actual, $"{arch} {set}: {actual}, expected {expected}");
        }
        var golden = File.ReadAllText(Path.Combine(GoldenDir, "DefaultSeccomp.X64.engine.json")).TrimEnd('\n');
        Assert.Equal(golden, Serialize(DefaultSeccomp.For(DefaultSpec.EngineCapabilities, Architecture.X64)));
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
