namespace Strata.Linux;

/// <summary>A waitpid(2) status word.</summary>
public readonly record struct WaitStatus(int Pid, int Raw)
{
    public bool Exited => (Raw & 0x7f) == 0;
    public int ExitCode => (Raw >> 8) & 0xff;
    public bool Signaled => (Raw & 0x7f) != 0 && (Raw & 0x7f) != 0x7f;
    public int TermSignal => Raw & 0x7f;

    /// <summary>The shell convention runc follows: the exit code, or 128 + the signal that killed it.</summary>
    public int ShellExitCode => Exited ? ExitCode : 128 + TermSignal;
}
