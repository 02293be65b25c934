using Strata.Cgroups.V2;
using Strata.Oci.Runtime;

namespace Strata.Cgroups.Tests;

/// <summary>
/// The cgroup v2 device filter: its decisions, run through a small interpreter of the instructions it emits,
/// and the real kernel enforcing it on this machine's cgroup2 mount.
/// </summary>
public class DeviceFilterTests
{
    private const int Block = 1, Char = 2;
    private const int Mknod = 1, Read = 2, Write = 4;

    private static readonly LinuxDeviceCgroup DenyAll = new() { Allow = false, Access = "rwm" };

    /// <summary>Runs the program as the kernel would for one access; true when it returns 1.</summary>
    private static bool Allows(ulong[] program, int type, int access, uint major, uint minor)
    {
        var ctx = new uint[] { (uint)(type | (access << 16)), major, minor };
        var r = new ulong[11];
        for (var pc = 0; pc < program.Length; pc++)
        {
            var insn = program[pc];
            var code = (byte)insn;
            var dst = (int)((insn >> 8) & 0xF);
            var src = (int)((insn >> 12) & 0xF);
            var off = (short)(insn >> 16);
            var imm = (int)(insn >> 32);
            switch (code)
            {
                case 0x61: r[dst] = ctx[off / 4]; break;
                case 0x54: r[dst] = (uint)r[dst] & (uint)imm; break;
                case 0x74: r[dst] = (uint)r[dst] >> imm; break;
                case 0xbc: r[dst] = (uint)r[src]; break;
                case 0xb7: r[dst] = (ulong)(long)imm; break;
                case 0x55: if (r[dst] != (ulong)(long)imm) pc += off; break;
                case 0x5d: if (r[dst] != r[src]) pc += off; break;
                case 0x95: return r[0] == 1;
                default: throw new InvalidOperationException($"unexpected opcode 0x{code:x2} at {pc}");
            }
        }
        throw new InvalidOperationException("the program ran off its end");
    }

    [Fact]
    public void Compile_DenyAllThenAllowNull_OnlyNullPasses()
    {
        var p = DeviceFilter.Compile([DenyAll, new() { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" }]);

        Assert.True(Allows(p, Char, Read | Write, 1, 3));
        Assert.False(Allows(p, Char, Read, 1, 5));
        Assert.False(Allows(p, Block, Read, 1, 3));
        Assert.False(Allows(p, Char, Read, 8, 0));
    }

    [Fact]
    public void Compile_LastMatchingRuleDecides()
    {
        var p = DeviceFilter.Compile([
            new() { Allow = true, Type = "c", Major = 1, Access = "rwm" },
            new() { Allow = false, Type = "c", Major = 1, Minor = 9, Access = "rwm" },
        ]);

        Assert.True(Allows(p, Char, Read, 1, 8));
        Assert.False(Allows(p, Char, Read, 1, 9));
    }

    [Fact]
    public void Compile_AccessMustCoverEveryBitAskedFor()
    {
        var p = DeviceFilter.Compile([DenyAll, new() { Allow = true, Type = "c", Major = 5, Minor = 0, Access = "r" }]);

        Assert.True(Allows(p, Char, Read, 5, 0));
        Assert.False(Allows(p, Char, Read | Write, 5, 0));
        Assert.False(Allows(p, Char, Mknod, 5, 0));
    }

    [Fact]
    public void Compile_NoRuleMatches_AllowedAsAnInheritedV1Cgroup()
    {
        var p = DeviceFilter.Compile([new() { Allow = false, Type = "b", Major = 8, Access = "w" }]);

        Assert.True(Allows(p, Char, Read | Write, 1, 3));
        Assert.True(Allows(p, Block, Read, 8, 0));
        Assert.False(Allows(p, Block, Write, 8, 1));
    }

    [Fact]
    public void Compile_WildcardsAndMknod_AsEnginesSendThem()
    {
        // docker's defaults: deny all, mknod of any char or block device, then specific devices.
        var p = DeviceFilter.Compile([
            DenyAll,
            new() { Allow = true, Type = "c", Major = -1, Minor = -1, Access = "m" },
            new() { Allow = true, Type = "b", Access = "m" },
            new() { Allow = true, Type = "c", Major = 136, Access = "rwm" },
            new() { Allow = true, Type = "p", Access = "rwm" },
        ]);

        Assert.True(Allows(p, Char, Mknod, 10, 200));
        Assert.True(Allows(p, Block, Mknod, 8, 0));
        Assert.False(Allows(p, Char, Read, 10, 200));
        Assert.True(Allows(p, Char, Read | Write, 136, 4));
    }

    [Theory]
    [InlineData("x", "rwm", "type")]
    [InlineData("c", "rwx", "access")]
    public void Compile_BadRule_ThrowsNamingTheField(string type, string access, string field)
    {
        var e = Assert.Throws<CgroupException>(() => DeviceFilter.Compile([new() { Allow = false, Type = type, Access = access }]));
        Assert.Contains($"devices[0].{field}", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The kernel loads the program (its verifier accepts it) and enforces it on a real cgroup2 cgroup.</summary>
    [SkippableFact]
    public void Attach_RealCgroup2_KernelEnforcesTheRules()
    {
        Skip.IfNot(Environment.IsPrivilegedProcess, "needs root: loading a BPF program and creating cgroups");
        var unified = CgroupHost.Detect().Hierarchies.FirstOrDefault(h => h.IsUnified);
        Skip.If(unified is null, "needs a cgroup2 mount (hybrid and unified hosts have one)");
        var dir = Path.Combine(unified.MountPoint, $"strata-test-devices-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            V2.DevicesController.Apply(CgroupFiles.Kernel, dir, [DenyAll, new() { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" }]);

            var script = $"echo $$ > {dir}/cgroup.procs && exec sh -c 'cat /dev/null && echo null-ok; head -c1 /dev/zero >/dev/null && echo zero-ok || echo zero-denied'";
            var start = new System.Diagnostics.ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(script);
            using var p = System.Diagnostics.Process.Start(start)!;
            var stdout = p.StandardOutput.ReadToEnd();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();

            Assert.Equal("null-ok\nzero-denied\n", stdout);
            Assert.Contains("Operation not permitted", stderr, StringComparison.Ordinal);
        }
        finally
        {
            for (var i = 0; i < 50 && Directory.Exists(dir); i++)
            {
                try
                {
                    Directory.Delete(dir);
                }
                catch (IOException)
                {
                    Thread.Sleep(20); // the shell is still leaving the cgroup
                }
            }
        }
    }
}
