using Strata.Images.Store;
using Strata.Images.Unpack;
using Strata.Linux;
using Strata.Oci.Image;

namespace Strata.Images.Archive;

/// <summary>An image read from an archive and verified, not yet in the store.</summary>
internal sealed record PendingImage(ImageName? Name, Digest Target, string TargetMediaType, Digest Manifest, Digest Config, long Size, DateTimeOffset? Created);

/// <summary>What a load will commit: staged blobs (moved into the store) and blobs Strata made (manifests of docker archives).</summary>
internal sealed class PendingLoad
{
    public Dictionary<Digest, StagedFile> Blobs { get; } = [];
    public Dictionary<Digest, byte[]> NewBlobs { get; } = [];
}

/// <summary>
/// `strata save` and `strata load`. A save writes to a temporary file or directory next to the output and
/// renames it into place, so a failed save leaves no half archive. A load stages every file under the
/// store's ingest directory, verifies every digest (blobs, configs, DiffIDs of docker layers) and the whole
/// image graph, and only then moves the blobs into the content store and records all names in one
/// transaction: a load that fails changes nothing a user can see.
/// </summary>
public sealed class ImageArchive(ImageService store)
{
    private readonly ImageService _store = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>Saves images to <paramref name="output"/> (a file, or a directory for <see cref="ArchiveFormat.OciDirectory"/>).</summary>
    public async Task SaveAsync(IReadOnlyList<string> references, string output, ArchiveFormat format, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(references);
        ArgumentException.ThrowIfNullOrEmpty(output);
        var images = Resolve(references);
        output = Path.GetFullPath(output);
        var parent = Path.GetDirectoryName(output)!;
        var temp = Path.Combine(parent, $".{Path.GetFileName(output)}.{Guid.NewGuid():N}.tmp");
        if (format == ArchiveFormat.OciDirectory)
        {
            if (File.Exists(output) || (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any()))
            {
                throw new IOException($"'{output}' exists; an OCI layout is written to a new or empty directory");
            }
            Directory.CreateDirectory(temp);
            try
            {
                await using (var writer = new DirectoryArchiveWriter(temp))
                {
                    await OciArchive.WriteAsync(_store, images, writer, cancellationToken).ConfigureAwait(false);
                }
                if (Directory.Exists(output))
                {
                    Directory.Delete(output);
                }
                Directory.Move(temp, output);
            }
            finally
            {
                if (Directory.Exists(temp))
                {
                    Directory.Delete(temp, recursive: true);
                }
            }
            return;
        }
        if (Directory.Exists(output))
        {
            throw new IOException($"'{output}' is a directory; {ArchiveFormats.Name(format)} is written to a file (or use --format oci-dir)");
        }
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20))
            {
                await WriteTarAsync(images, file, format, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            AtomicFile.Commit(temp, output);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Saves images as a tar to <paramref name="output"/>, which must be seekable (see <see cref="TarArchiveWriter"/>).</summary>
    public async Task SaveAsync(IReadOnlyList<string> references, Stream output, ArchiveFormat format, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(output);
        if (format == ArchiveFormat.OciDirectory)
        {
            throw new ArgumentException("an OCI layout directory cannot be written to a stream", nameof(format));
        }
        await WriteTarAsync(Resolve(references), output, format, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads every image of an archive: a tar (plain, gzip or zstd) or an OCI layout directory.</summary>
    public async Task<IReadOnlyList<LoadedImage>> LoadAsync(string input, ArchiveFormat? format = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(input);
        if (Directory.Exists(input))
        {
            if (format is { } f && f != ArchiveFormat.OciDirectory)
            {
                throw new ArgumentException($"'{input}' is a directory, not a {ArchiveFormats.Name(f)}", nameof(format));
            }
            var staging = _store.Content.CreateStagingDirectory("load");
            try
            {
                return await LoadAsync(new DirectoryArchiveFiles(input, staging), ArchiveFormat.OciDirectory, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Directory.Delete(staging, recursive: true);
            }
        }
        await using var stream = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return await LoadAsync(stream, format, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads every image of a tar stream (plain, gzip or zstd); the format is detected unless given.</summary>
    public async Task<IReadOnlyList<LoadedImage>> LoadAsync(Stream input, ArchiveFormat? format = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (format == ArchiveFormat.OciDirectory)
        {
            throw new ArgumentException("an OCI layout directory is loaded from a path", nameof(format));
        }
        var staging = _store.Content.CreateStagingDirectory("load");
        try
        {
            TarArchiveFiles files;
            await using (var tar = await LayerUnpacker.DecompressAsync(input, cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    files = await TarArchiveFiles.ReadAsync(tar, staging, cancellationToken).ConfigureAwait(false);
                }
                catch (InvalidDataException e)
                {
                    throw new ImageException(ImageErrorCode.InvalidArchive, $"archive is truncated or corrupt: {e.Message}", e);
                }
            }
            // docker 25 writes both an OCI layout and manifest.json; the layout keeps the registry digests.
            var detected = format ?? (OciArchive.IsLayout(files.Names) ? ArchiveFormat.OciArchive
                : files.Names.Contains(DockerArchive.ManifestFile) ? ArchiveFormat.DockerArchive
                : throw new ImageException(ImageErrorCode.InvalidArchive, "archive is neither an OCI layout (oci-layout, index.json) nor a docker archive (manifest.json)"));
            return await LoadAsync(files, detected, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    private async Task<IReadOnlyList<LoadedImage>> LoadAsync(ArchiveFiles files, ArchiveFormat format, CancellationToken cancellationToken)
    {
        // Held until the names are recorded, so a prune cannot sweep blobs this load is committing.
        using var storeLock = StoreLock.Shared(_store.Root);
        var load = new PendingLoad();
        var pending = format == ArchiveFormat.DockerArchive
            ? await DockerArchive.ReadAsync(files, load, cancellationToken).ConfigureAwait(false)
            : await OciArchive.ReadAsync(files, load, cancellationToken).ConfigureAwait(false);

        // Everything is verified; from here on the content becomes visible.
        foreach (var (digest, staged) in load.Blobs)
        {
            _store.Content.Import(digest, staged.Path);
        }
        foreach (var (digest, bytes) in load.NewBlobs)
        {
            _store.Content.Write(digest, bytes);
        }
        var now = DateTimeOffset.UtcNow;
        var loaded = pending.Select(p =>
        {
            var name = p.Name?.ToString() ?? $"localhost/{p.Config.Encoded[..12]}:latest";
            return new LoadedImage(name, p.Name is not null, new ImageRecord(name, p.Target, p.TargetMediaType, p.Manifest, p.Config, p.Size, p.Created, now));
        }).ToList();
        _store.Metadata.PutImages(loaded.Select(l => l.Record));
        return loaded;
    }

    private List<ImageRecord> Resolve(IReadOnlyList<string> references)
    {
        if (references.Count == 0)
        {
            throw new ArgumentException("name at least one image to save", nameof(references));
        }
        return references
            .Select(r => _store.Find(r) ?? throw new ImageException(ImageErrorCode.ImageNotFound, $"image '{r}' is not in the store"))
            .DistinctBy(r => r.Name)
            .ToList();
    }

    private async Task WriteTarAsync(List<ImageRecord> images, Stream output, ArchiveFormat format, CancellationToken cancellationToken)
    {
        await using var writer = new TarArchiveWriter(output);
        if (format == ArchiveFormat.DockerArchive)
        {
            await DockerArchive.WriteAsync(_store, images, writer, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await OciArchive.WriteAsync(_store, images, writer, cancellationToken).ConfigureAwait(false);
        }
    }
}
