namespace Strata.Linux;

/// <summary>
/// The one durable-write rule: write a temporary file, fsync it, rename it over the target, fsync the
/// directory (rename(2) and fsync(2), NOTES: a rename is durable only once its directory is). Small files go
/// through <see cref="Write(string, ReadOnlySpan{byte}, UnixFileMode, bool)"/>; large content that a caller
/// streams and fsyncs itself is published with <see cref="Commit"/>. Failures are <see cref="IOException"/>s.
/// </summary>
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
        Write(full, bytes, Path.GetDirectoryName(full)!, mode, durable);
    }

    /// <summary>
    /// As <see cref="Write(string, ReadOnlySpan{byte}, UnixFileMode, bool)"/>, with the temporary file in
    /// <paramref name="stagingDirectory"/>, which must be on the target's filesystem: a store that sweeps
    /// crashed writers' leftovers from one place keeps them out of the directory readers list.
    /// </summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes, string stagingDirectory, UnixFileMode mode, bool durable = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(stagingDirectory);
        var full = Path.GetFullPath(path);
        // Unique per process and thread: a daemon may write the same file from two threads at once, and the
        // write below never yields its thread.
        var tmp = Path.Combine(stagingDirectory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp");
        try
        {
            // open, write, (fsync,) close: none of a FileStream's extra calls, on a runtime's create path.
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
        if (durable)
            SyncDirectory(Path.GetDirectoryName(full)!);
    }

    /// <summary>
    /// Publishes <paramref name="tempPath"/>, already written and fsynced by the caller, as
    /// <paramref name="path"/>: rename(2), which replaces atomically, then fsync of the target's directory.
    /// The temporary file must be on the target's filesystem.
    /// </summary>
    public static void Commit(string tempPath, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(tempPath);
        var full = Path.GetFullPath(path);
        try
        {
            Sys.Rename(tempPath, full);
        }
        catch (SyscallException e)
        {
            throw new IOException(e.Message, e);
        }
        SyncDirectory(Path.GetDirectoryName(full)!);
    }

    /// <summary>fsync(2) of a directory, which makes the creates, renames and unlinks done in it durable.</summary>
    public static void SyncDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        try
        {
            using var d = Sys.Open(directory, OpenFlags.ReadOnly | OpenFlags.Directory);
            Sys.Fsync(d);
        }
        catch (SyscallException e)
        {
            throw new IOException(e.Message, e);
        }
    }
}
