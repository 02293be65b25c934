namespace Strata.Linux;

/// <summary>Atomic small-file writes: temp file, fsync, rename, fsync the directory.</summary>
public static class AtomicFile
{
    /// <param name="durable">
    /// False skips both fsyncs: the rename still makes the write atomic (readers see the old or the new file),
    /// but a power loss may lose it. Right for state that a reboot makes meaningless anyway (a runtime's
    /// container state under /run, pid files), where the fsyncs would cost milliseconds per operation.
    /// </param>
    public static void Write(string path, ReadOnlySpan<byte> bytes, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite, bool durable = true)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: durable);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
        if (!durable)
            return;
        using var d = Sys.Open(dir, OpenFlags.ReadOnly | OpenFlags.Directory);
        Sys.Fsync(d);
    }
}
