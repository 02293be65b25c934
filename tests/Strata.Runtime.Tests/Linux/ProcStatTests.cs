using Strata.Linux;

namespace Strata.Runtime.Tests.Linux;

public sealed class ProcStatTests : IDisposable
{
    private readonly TempDir _proc = new();

    public void Dispose() => _proc.Dispose();

    /// <summary>A /proc/PID/stat line: 52 fields, starttime (field 22) as given, every other number distinct.</summary>
    private static string StatLine(int pid, string comm, char state, ulong startTime)
    {
        var fields = new List<string> { pid.ToString(), "(" + comm + ")", state.ToString() };
        for (var field = 4; field <= 52; field++)
            fields.Add(field == 22 ? startTime.ToString() : (1000 + field).ToString());
        return string.Join(' ', fields) + "\n";
    }

    [Fact]
    public void Parse_PlainComm_PidStateStartTime()
    {
        var stat = ProcStat.Parse(StatLine(1, "systemd", 'S', 42));

        Assert.Equal(new ProcStat(1, 'S', 42) { ParentPid = 1004 }, stat);
    }

    [Fact]
    public void Parse_CommWithSpacesAndParenthesis_SplitsAfterLastParenthesis()
    {
        var stat = ProcStat.Parse(StatLine(123, "a b) c) S 1", 'R', 9876543210));

        Assert.Equal(123, stat.Pid);
        Assert.Equal('R', stat.State);
        Assert.Equal(9876543210UL, stat.StartTime);
    }

    [Fact]
    public void Parse_LiteralKernelLine_StartTimeIsField22()
    {
        const string line = "123 (a b) c) S 1 123 123 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 777 1000 200 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        Assert.Equal(52, line.Split(')').Last().Trim().Split(' ').Length + 2);

        Assert.Equal(new ProcStat(123, 'S', 777) { ParentPid = 1 }, ProcStat.Parse(line));
    }

    [Theory]
    [InlineData('Z', true)]
    [InlineData('X', true)]
    [InlineData('x', true)]
    [InlineData('S', false)]
    [InlineData('R', false)]
    [InlineData('D', false)]
    public void IsZombieOrDead_ByState(char state, bool expected)
    {
        Assert.Equal(expected, ProcStat.Parse(StatLine(5, "x", state, 1)).IsZombieOrDead);
    }

    [Fact]
    public void Parse_NoParenthesis_FormatException()
    {
        Assert.Throws<FormatException>(() => ProcStat.Parse("123 foo S 1"));
    }

    [Fact]
    public void TryRead_FakeProcRoot_ParsesFile()
    {
        _proc.File("77/stat", StatLine(77, "sleep 1", 'S', 555));

        Assert.Equal(new ProcStat(77, 'S', 555) { ParentPid = 1004 }, ProcStat.TryRead(77, _proc.Path));
    }

    [Fact]
    public void TryRead_MissingProcess_Null()
    {
        Assert.Null(ProcStat.TryRead(77, _proc.Path));
    }

    [Fact]
    public void TryRead_OwnProcess_StateAndStartTimeFromRealProc()
    {
        var stat = ProcStat.TryRead(Environment.ProcessId);

        Assert.NotNull(stat);
        Assert.Equal(Environment.ProcessId, stat.Value.Pid);
        Assert.True(stat.Value.StartTime > 0);
        Assert.False(stat.Value.IsZombieOrDead);
    }
}
