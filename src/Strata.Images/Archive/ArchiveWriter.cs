using System.Formats.Tar;

namespace Strata.Images.Archive;

/// <summary>
/// Where a save writes its files: a tar stream or a directory. Tar headers are fixed (mode 0644, owner 0,
/// times the Unix epoch) so saving the same images twice gives the same bytes.
/// </summary>
internal abstract class ArchiveWriter : IAsyncDisposable
{
    public abstract Task AddFileAsync(string name, string source, CancellationToken cancellationToken);

    public abstract Task AddBytesAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Adds content whose length is unknown until it has been read (a layer being decompressed).</summary>
    public abstract Task AddStreamAsync(string name, Stream content, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}

/// <summary>
/// GNU tar headers throughout: sizes past ustar's 8 GiB are stored in base-256, so a layer whose length is
/// only known once it has been decompressed needs no PAX record, and every entry has the same header shape
/// whether it was copied from a file or streamed (a PAX record would differ between the two).
/// </summary>
internal sealed class TarArchiveWriter(Stream output) : ArchiveWriter
{
    private static readonly UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private readonly TarWriter _writer = new(output, TarEntryFormat.Gnu, leaveOpen: true);
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);

    public override async Task AddFileAsync(string name, string source, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(source, System.IO.FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        await WriteAsync(name, stream, cancellationToken).ConfigureAwait(false);
    }

    public override async Task AddBytesAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        await WriteAsync(name, stream, cancellationToken).ConfigureAwait(false);
    }

    public override Task AddStreamAsync(string name, Stream content, CancellationToken cancellationToken) =>
        // TarWriter writes an unseekable data stream by seeking back to patch the header's size, which
        // needs a seekable output: saves go to a temporary file, never straight to a pipe.
        WriteAsync(name, content, cancellationToken);

    public override async ValueTask DisposeAsync() => await _writer.DisposeAsync().ConfigureAwait(false);

    private async Task WriteAsync(string name, Stream data, CancellationToken cancellationToken)
    {
        await WriteParentsAsync(name, cancellationToken).ConfigureAwait(false);
        var entry = new GnuTarEntry(TarEntryType.RegularFile, name);
        Stamp(entry);
        entry.DataStream = data;
        await _writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteParentsAsync(string name, CancellationToken cancellationToken)
    {
        var slash = name.LastIndexOf('/');
        if (slash <= 0 || !_directories.Add(name[..slash]))
        {
            return;
        }
        await WriteParentsAsync(name[..slash], cancellationToken).ConfigureAwait(false);
        var dir = new GnuTarEntry(TarEntryType.Directory, name[..slash] + "/");
        Stamp(dir);
        dir.Mode = FileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        await _writer.WriteEntryAsync(dir, cancellationToken).ConfigureAwait(false);
    }

    private static void Stamp(GnuTarEntry entry)
    {
        entry.Mode = FileMode;
        entry.ModificationTime = DateTimeOffset.UnixEpoch;
        entry.AccessTime = DateTimeOffset.UnixEpoch;
        entry.ChangeTime = DateTimeOffset.UnixEpoch;
        entry.Uid = 0;
        entry.Gid = 0;
        entry.UserName = "";
        entry.GroupName = "";
    }
}

internal sealed class DirectoryArchiveWriter(string root) : ArchiveWriter
{
    public override Task AddFileAsync(string name, string source, CancellationToken cancellationToken)
    {
        File.Copy(source, Prepare(name));
        return Task.CompletedTask;
    }

    public override Task AddBytesAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        File.WriteAllBytesAsync(Prepare(name), content, cancellationToken);

    public override async Task AddStreamAsync(string name, Stream content, CancellationToken cancellationToken)
    {
        await using var fs = new FileStream(Prepare(name), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        await content.CopyToAsync(fs, 1 << 20, cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // Names come from Strata (digests and fixed file names), never from outside input.
    private string Prepare(string name)
    {
        var path = Path.Combine(root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }
}
