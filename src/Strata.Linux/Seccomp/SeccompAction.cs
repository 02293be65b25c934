namespace Strata.Linux.Seccomp;

/// <summary>
/// What a seccomp filter does with a matching system call: a SECCOMP_RET_* value as libseccomp spells it
/// (SCMP_ACT_* in seccomp.h, seccomp(2) "Filter return values").
/// </summary>
public readonly record struct SeccompAction(uint Value)
{
    /// <summary>The largest SECCOMP_RET_DATA an errno or trace action carries.</summary>
    public const int MaxData = 0xffff;

    /// <summary>SCMP_ACT_KILL_PROCESS: the whole process dies of SIGSYS.</summary>
    public static SeccompAction KillProcess => new(0x80000000U);

    /// <summary>SCMP_ACT_KILL_THREAD (and SCMP_ACT_KILL): the calling thread dies of SIGSYS.</summary>
    public static SeccompAction KillThread => new(0x00000000U);

    /// <summary>SCMP_ACT_TRAP: SIGSYS is delivered to the thread.</summary>
    public static SeccompAction Trap => new(0x00030000U);

    /// <summary>SCMP_ACT_NOTIFY: a supervisor holding the listener fd decides.</summary>
    public static SeccompAction Notify => new(0x7fc00000U);

    /// <summary>SCMP_ACT_LOG: allowed, and logged.</summary>
    public static SeccompAction Log => new(0x7ffc0000U);

    /// <summary>SCMP_ACT_ALLOW.</summary>
    public static SeccompAction Allow => new(0x7fff0000U);

    /// <summary>SCMP_ACT_ERRNO(errno): the call fails with <paramref name="errno"/>.</summary>
    public static SeccompAction Errno(int errno) => new(0x00050000U | Data(errno));

    /// <summary>SCMP_ACT_TRACE(msg): a ptrace tracer is notified with <paramref name="message"/>.</summary>
    public static SeccompAction Trace(int message) => new(0x7ff00000U | Data(message));

    private static uint Data(int value) =>
        value is >= 0 and <= MaxData ? (uint)value : throw new ArgumentOutOfRangeException(nameof(value), value, $"seccomp action data must be 0-{MaxData}");
}

/// <summary>enum scmp_compare: how a system call argument is compared.</summary>
public enum SeccompCompare
{
    NotEqual = 1,
    LessThan = 2,
    LessOrEqual = 3,
    Equal = 4,
    GreaterOrEqual = 5,
    GreaterThan = 6,
    /// <summary>(argument &amp; A) == B.</summary>
    MaskedEqual = 7,
}

/// <summary>
/// One condition on a system call argument (struct scmp_arg_cmp). For <see cref="SeccompCompare.MaskedEqual"/>
/// <see cref="A"/> is the mask and <see cref="B"/> the value; otherwise <see cref="A"/> is the value.
/// </summary>
public readonly record struct SeccompCondition(uint Argument, SeccompCompare Op, ulong A, ulong B = 0)
{
    /// <summary>System calls take at most six arguments.</summary>
    public const int MaxArguments = 6;
}
