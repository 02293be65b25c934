namespace Strata.Linux;

/// <summary>Durable small-file writes: temp file, fsync, rename, fsync the directory.</summary>
public static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> bytes, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
        using var d = Sys.Open(dir, OpenFlags.ReadOnly | OpenFlags.Directory);
        Sys.Fsync(d);
    }
}
