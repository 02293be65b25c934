namespace Strata.Linux;

/// <summary>Linux capability names and numbers (capabilities(7), linux/capability.h).</summary>
public static class Capabilities
{
    private static readonly string[] Names =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
        "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ];

    public static IReadOnlyList<string> All => Names;

    private static int _lastCapability = -1;

    /// <summary>The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap), else the table's; read once.</summary>
    public static int LastCapability => _lastCapability >= 0 ? _lastCapability : _lastCapability = ReadLastCapability();

    private static int ReadLastCapability() =>
        int.TryParse(Sys.TryReadText("/proc/sys/kernel/cap_last_cap", out _)?.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var last)
            ? last
            : Names.Length - 1;

    /// <summary>The number of CAP_NAME; -1 when unknown.</summary>
    public static int Parse(string name) => Array.IndexOf(Names, name);

    /// <summary>A capability set as the kernel's 64-bit mask.</summary>
    public static ulong Mask(IEnumerable<string>? names)
    {
        ulong mask = 0;
        foreach (var n in names ?? [])
        {
            var cap = Parse(n);
            if (cap < 0)
                throw new ArgumentException($"unknown capability \"{n}\"", nameof(names));
            mask |= 1UL << cap;
        }
        return mask;
    }
}

/// <summary>The three per-thread capability sets capset(2) sets.</summary>
public readonly record struct CapabilitySets(ulong Effective, ulong Permitted, ulong Inheritable);
