namespace Strata.Logs;

/// <summary>
/// One json-file record: what a container wrote, from which stream, when. <see cref="Line"/> ends with "\n"
/// unless the record is a partial line (docker's copier cuts lines longer than 16 KiB, and the last bytes
/// before end of output, into records without one).
/// </summary>
public sealed record LogEntry(LogStream Stream, LogTime Time, ReadOnlyMemory<byte> Line)
{
    public bool IsPartial => Line.Length == 0 || Line.Span[^1] != (byte)'\n';
}
