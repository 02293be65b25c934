using System.Formats.Tar;
using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Build.Execution;

/// <summary>One file of a layer: where it goes (no leading '/'), what it is, and its metadata.</summary>
public sealed record LayerEntry(string Path, TarEntryType Type, UnixFileMode Mode, int Uid, int Gid, DateTimeOffset ModificationTime)
{
    /// <summary>A file of the context to read the content from.</summary>
    public string? SourceFile { get; init; }

    /// <summary>Content in memory (a heredoc's).</summary>
    public byte[]? Data { get; init; }

    /// <summary>A symlink's target.</summary>
    public string? LinkTarget { get; init; }
}

/// <summary>
/// Writes layers reproducibly: entries sorted by path, GNU tar headers with no user or group names, the
/// access and change times equal to the modification time, no compression (an OCI layer may be a plain tar:
/// the digest then is the DiffID, and no compressor's version can change it).
/// </summary>
public static class LayerWriter
{
    /// <summary>Writes the entries as a tar into the store; returns the layer's descriptor (digest = DiffID).</summary>
    public static async Task<Descriptor> WriteAsync(ContentStore content, IEnumerable<LayerEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(entries);
        var staging = content.CreateStagingDirectory("build");
        try
        {
            var path = Path.Combine(staging, "layer.tar");
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                await WriteTarAsync(file, entries, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            Digest digest;
            long size;
            await using (var read = File.OpenRead(path))
            {
                size = read.Length;
                digest = await Digest.ComputeAsync(read, Digest.Sha256, cancellationToken).ConfigureAwait(false);
            }
            content.Import(digest, path);
            return new Descriptor { MediaType = MediaTypes.OciLayer, Digest = digest, Size = size };
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The tar stream itself, for tests and for outputs other than the store.</summary>
    public static async Task WriteTarAsync(Stream output, IEnumerable<LayerEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(entries);
        await using var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true);
        foreach (var e in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            var name = e.Type == TarEntryType.Directory ? e.Path.TrimEnd('/') + "/" : e.Path;
            var entry = new GnuTarEntry(e.Type, name)
            {
                Mode = e.Mode,
                Uid = e.Uid,
                Gid = e.Gid,
                UserName = "",
                GroupName = "",
                ModificationTime = e.ModificationTime,
                AccessTime = e.ModificationTime,
                ChangeTime = e.ModificationTime,
            };
            if (e.Type == TarEntryType.SymbolicLink)
            {
                entry.LinkName = e.LinkTarget ?? "";
            }
            Stream? data = null;
            try
            {
                if (e.Type == TarEntryType.RegularFile)
                {
                    data = e.Data is { } bytes ? new MemoryStream(bytes, writable: false) : File.OpenRead(e.SourceFile!);
                    entry.DataStream = data;
                }
                await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (data is not null)
                {
                    await data.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }
}
