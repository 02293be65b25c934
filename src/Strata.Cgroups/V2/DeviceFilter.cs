using Strata.Oci.Runtime;

namespace Strata.Cgroups.V2;

/// <summary>
/// Compiles linux.resources.devices into a BPF_PROG_TYPE_CGROUP_DEVICE program, cgroup v2's device
/// controller (cgroup-v2.rst, "Device controller"; the same approach as runc's devicefilter). The kernel
/// calls it with a <c>struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }</c>, where the low
/// 16 bits of access_type are the device type and the high 16 bits the access asked for; it returns 1 to
/// allow and 0 to deny.
/// </summary>
/// <remarks>
/// Semantics follow the v1 whitelist the spec was written against: rules apply in order, so the last rule
/// that matches decides, and a device no rule matches is allowed (a new v1 cgroup inherits "a *:* rwm").
/// The program checks rules from last to first and returns at the first match. A rule matches when its type
/// is the device's (or "a"), its major and minor are the device's (or wildcards), and every access bit asked
/// for is in its access. Instructions are encoded as struct bpf_insn in one little-endian ulong each.
/// </remarks>
public static class DeviceFilter
{
    // Device types and access bits (include/uapi/linux/bpf.h).
    private const int DevBlock = 1, DevChar = 2;
    private const int AccMknod = 1, AccRead = 2, AccWrite = 4;

    // Registers: R0 result, R1 context then scratch, R2 type, R3 access, R4 major, R5 minor.
    private const byte R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

    /// <summary>The program for <paramref name="rules"/>; throws <see cref="CgroupException"/> for a rule the kernel cannot express.</summary>
    public static ulong[] Compile(IReadOnlyList<LinuxDeviceCgroup> rules)
    {
        // Every rule is checked, also those a later catch-all rule makes unreachable.
        for (var i = 0; i < rules.Count; i++)
        {
            ParseType(rules[i], i);
            ParseAccess(rules[i], i);
        }
        var program = new List<ulong>
        {
            Load(R2, 0), And32(R2, 0xFFFF),
            Load(R3, 0), Rsh32(R3, 16),
            Load(R4, 4),
            Load(R5, 8),
        };
        for (var i = rules.Count - 1; i >= 0; i--)
        {
            // A rule matching everything ends the program: the verifier refuses unreachable instructions.
            if (EmitRule(program, rules[i], i))
                return [.. program];
        }
        program.Add(Mov64(R0, 1));
        program.Add(Exit());
        return [.. program];
    }

    private static int ParseType(LinuxDeviceCgroup rule, int index) => rule.Type switch
    {
        null or "" or "a" => 0,
        "b" => DevBlock,
        "c" => DevChar,
        // A pipe ("p") is not a device the kernel asks this program about.
        "p" => -1,
        _ => throw new CgroupException($"linux.resources.devices[{index}].type: unknown device type \"{rule.Type}\""),
    };

    private static int ParseAccess(LinuxDeviceCgroup rule, int index)
    {
        var access = 0;
        foreach (var c in string.IsNullOrEmpty(rule.Access) ? "rwm" : rule.Access)
        {
            access |= c switch
            {
                'r' => AccRead,
                'w' => AccWrite,
                'm' => AccMknod,
                _ => throw new CgroupException($"linux.resources.devices[{index}].access: unknown access \"{c}\" in \"{rule.Access}\""),
            };
        }
        return access;
    }

    /// <summary>Emits one rule; true when it matches every device, so nothing after it can run.</summary>
    private static bool EmitRule(List<ulong> program, LinuxDeviceCgroup rule, int index)
    {
        var type = ParseType(rule, index);
        var access = ParseAccess(rule, index);
        if (type < 0)
            return false;
        var checks = new List<(ulong[] Setup, Func<short, ulong> Jump)>();
        if (type != 0)
            checks.Add(([], off => JneImm(R2, type, off)));
        if (access != (AccRead | AccWrite | AccMknod))
            checks.Add(([Mov32Reg(R1, R3), And32(R1, access)], off => JneReg(R1, R3, off)));
        if (rule.Major is long major && major >= 0)
            checks.Add(([], off => JneImm(R4, checked((int)major), off)));
        if (rule.Minor is long minor && minor >= 0)
            checks.Add(([], off => JneImm(R5, checked((int)minor), off)));

        // Each failed check jumps past the rest of this rule: its remaining checks, then "R0 = allow; exit".
        var remaining = checks.Sum(c => c.Setup.Length + 1) + 2;
        foreach (var (setup, jump) in checks)
        {
            program.AddRange(setup);
            remaining -= setup.Length + 1;
            program.Add(jump((short)remaining));
        }
        program.Add(Mov64(R0, rule.Allow ? 1 : 0));
        program.Add(Exit());
        return checks.Count == 0;
    }

    // struct bpf_insn { u8 code; u8 dst_reg:4, src_reg:4; s16 off; s32 imm; }
    private static ulong Insn(byte code, byte dst, byte src, short off, int imm) =>
        code | ((ulong)(byte)((src << 4) | dst) << 8) | ((ulong)(ushort)off << 16) | ((ulong)(uint)imm << 32);

    private static ulong Load(byte dst, short off) => Insn(0x61 /* LDX|MEM|W */, dst, R1, off, 0);
    private static ulong And32(byte dst, int imm) => Insn(0x54 /* ALU|AND|K */, dst, 0, 0, imm);
    private static ulong Rsh32(byte dst, int imm) => Insn(0x74 /* ALU|RSH|K */, dst, 0, 0, imm);
    private static ulong Mov32Reg(byte dst, byte src) => Insn(0xbc /* ALU|MOV|X */, dst, src, 0, 0);
    private static ulong Mov64(byte dst, int imm) => Insn(0xb7 /* ALU64|MOV|K */, dst, 0, 0, imm);
    private static ulong JneImm(byte dst, int imm, short off) => Insn(0x55 /* JMP|JNE|K */, dst, 0, off, imm);
    private static ulong JneReg(byte dst, byte src, short off) => Insn(0x5d /* JMP|JNE|X */, dst, src, off, 0);
    private static ulong Exit() => Insn(0x95 /* JMP|EXIT */, 0, 0, 0, 0);
}
