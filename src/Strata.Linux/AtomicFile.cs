namespace Strata.Linux;

/// <summary>Atomic small-file writes: temp file, fsync, rename, fsync the directory. Failures are <see cref="IOException"/>s.</summary>
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
        // Unique per process and thread: a daemon may write the same file from two threads at once.
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp");
        try
        {
            Sys.WriteFile(tmp, bytes, mode, fsync: durable);
            Sys.Rename(tmp, full);
        }
        catch (SyscallException e)
        {
            try
            {
                Sys.Unlink(tmp);
            }
            catch (SyscallException)
            {
                // The write's error is the one to report.
            }
            throw new IOException(e.Message, e);
        }
        if (!durable)
            return;
        using var d = Sys.Open(dir, OpenFlags.ReadOnly | OpenFlags.Directory);
        Sys.Fsync(d);
    }
}
