using System.Buffers;
using System.Formats.Tar;
using Strata.Oci.Image;

namespace Strata.Images.Archive;

/// <summary>A file of an archive copied into the staging directory, with the digest of its bytes.</summary>
/// <param name="Path">Where the bytes are staged (a private name, never derived from the archive).</param>
/// <param name="Digest">sha256 of the bytes, or sha512 for an entry named blobs/sha512/HEX.</param>
internal sealed record StagedFile(string Path, long Size, Digest Digest);

/// <summary>
/// The files of an image archive, by their normalized names, staged under the store's ingest directory.
/// Names are only ever dictionary keys: no path on disk is built from an archive entry, so an entry cannot
/// be written outside the staging directory whatever it is called. Names that climb out ("..") or are
/// absolute are refused anyway, as docker and containers/image refuse them, so a hostile archive fails
/// loudly instead of loading something else than it says.
/// </summary>
internal abstract class ArchiveFiles
{
    /// <summary>The largest JSON document (index.json, manifest.json, a manifest, a config) read into memory.</summary>
    public const long MaxDocumentSize = 16 << 20;

    protected ArchiveFiles(string staging) => Staging = staging;

    protected string Staging { get; }

    /// <summary>The staged file named <paramref name="name"/> (a path inside the archive), or null when absent.</summary>
    public abstract Task<StagedFile?> GetAsync(string name, CancellationToken cancellationToken);

    public async Task<StagedFile> RequireAsync(string name, string referencedBy, CancellationToken cancellationToken) =>
        await GetAsync(name, cancellationToken).ConfigureAwait(false)
        ?? throw new ImageException(ImageErrorCode.InvalidArchive, $"archive lacks '{name}' ({referencedBy})");

    public async Task<byte[]?> ReadDocumentAsync(string name, CancellationToken cancellationToken)
    {
        if (await GetAsync(name, cancellationToken).ConfigureAwait(false) is not { } file)
        {
            return null;
        }
        if (file.Size > MaxDocumentSize)
        {
            throw new ImageException(ImageErrorCode.InvalidArchive, $"archive entry '{name}' is {file.Size} bytes, more than a JSON document may be");
        }
        return await File.ReadAllBytesAsync(file.Path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The canonical form of an entry name: "./a//b/" is "a/b". Throws for absolute names, ".." components
    /// and NUL bytes.
    /// </summary>
    public static string Normalize(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new ImageException(ImageErrorCode.InvalidArchive, $"archive entry name '{name}' is empty or contains NUL");
        }
        if (name.StartsWith('/'))
        {
            throw new ImageException(ImageErrorCode.InvalidArchive, $"archive entry '{name}' is an absolute path");
        }
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }
            if (part == "..")
            {
                throw new ImageException(ImageErrorCode.InvalidArchive, $"archive entry '{name}' climbs out of the archive with '..'");
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>The digest algorithm an entry's name promises: sha512 for blobs/sha512/…, else sha256.</summary>
    protected static string AlgorithmFor(string normalized) =>
        normalized.StartsWith("blobs/sha512/", StringComparison.Ordinal) ? Digest.Sha512 : Digest.Sha256;

    /// <summary>Copies <paramref name="source"/> into a new staging file while hashing it; fsyncs it so a later rename is durable.</summary>
    protected async Task<StagedFile> StageAsync(Stream source, string algorithm, long? expectedLength, string name, CancellationToken cancellationToken)
    {
        var path = System.IO.Path.Combine(Staging, Guid.NewGuid().ToString("N"));
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            using var hasher = Digest.CreateHasher(algorithm);
            long total = 0;
            await using (var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hasher.AppendData(buffer, 0, read);
                    await fs.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    total += read;
                }
                fs.Flush(flushToDisk: true);
            }
            if (expectedLength is { } length && total != length)
            {
                throw new ImageException(ImageErrorCode.InvalidArchive, $"archive is truncated: entry '{name}' has {total} of its {length} bytes");
            }
            return new StagedFile(path, total, Digest.FromHash(algorithm, hasher.GetHashAndReset()));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>
/// Every regular file of a tar stream, staged up front (a tar can only be read in order). Symbolic and hard
/// links become aliases resolved inside the archive's own namespace — `docker save` writes a layer shared
/// by two images once and links the second "layer.tar" to the first — and are never created on disk.
/// Devices, fifos and other entry types are refused.
/// </summary>
internal sealed class TarArchiveFiles : ArchiveFiles
{
    private const int MaxLinkHops = 16;
    private readonly Dictionary<string, StagedFile> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);

    private TarArchiveFiles(string staging) : base(staging) { }

    public IReadOnlyCollection<string> Names => [.. _files.Keys, .. _links.Keys];

    public static async Task<TarArchiveFiles> ReadAsync(Stream tar, string staging, CancellationToken cancellationToken)
    {
        var files = new TarArchiveFiles(staging);
        try
        {
            await using var reader = new TarReader(tar, leaveOpen: true);
            var any = false;
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                any = true;
                await files.AddAsync(entry, cancellationToken).ConfigureAwait(false);
            }
            if (!any)
            {
                throw new ImageException(ImageErrorCode.InvalidArchive, "archive is empty or not a tar file");
            }
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or FormatException or ArgumentException)
        {
            throw new ImageException(ImageErrorCode.InvalidArchive, $"archive is truncated or not a tar file: {e.Message}", e);
        }
        return files;
    }

    public override Task<StagedFile?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var current = Normalize(name);
        for (var hop = 0; hop <= MaxLinkHops; hop++)
        {
            if (_files.TryGetValue(current, out var file))
            {
                return Task.FromResult<StagedFile?>(file);
            }
            if (!_links.TryGetValue(current, out var target))
            {
                return Task.FromResult<StagedFile?>(null);
            }
            current = target;
        }
        throw new ImageException(ImageErrorCode.InvalidArchive, $"archive entry '{name}' is a chain of more than {MaxLinkHops} links");
    }

    private async Task AddAsync(TarEntry entry, CancellationToken cancellationToken)
    {
        var name = Normalize(entry.Name);
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                return;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                _links.Remove(name);
                if (_files.Remove(name, out var replaced))
                {
                    // A later entry of the same name wins, as when tar extracts it.
                    File.Delete(replaced.Path);
                }
                var data = entry.DataStream ?? Stream.Null;
                _files[name] = await StageAsync(data, AlgorithmFor(name), entry.Length, name, cancellationToken).ConfigureAwait(false);
                return;
            case TarEntryType.SymbolicLink:
                _files.Remove(name);
                _links[name] = ResolveSymlink(name, entry.LinkName);
                return;
            case TarEntryType.HardLink:
                _files.Remove(name);
                _links[name] = Normalize(entry.LinkName);
                return;
            default:
                throw new ImageException(ImageErrorCode.InvalidArchive, $"archive entry '{entry.Name}' is a {entry.EntryType}; an image archive holds only files, directories and links");
        }
    }

    /// <summary>A symlink target relative to the link's directory, resolved lexically; it may use ".." but not leave the archive.</summary>
    private static string ResolveSymlink(string name, string target)
    {
        if (string.IsNullOrEmpty(target) || target.StartsWith('/'))
        {
            throw new ImageException(ImageErrorCode.InvalidArchive, $"archive entry '{name}' links to '{target}', outside the archive");
        }
        var parts = name.Split('/').SkipLast(1).ToList();
        foreach (var part in target.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    throw new ImageException(ImageErrorCode.InvalidArchive, $"archive entry '{name}' links to '{target}', outside the archive");
                }
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }
}

/// <summary>
/// The files of an OCI layout directory, staged on demand (only the blobs the index reaches are copied).
/// A symlink anywhere on the way is refused, so a layout cannot make a load read files outside it.
/// </summary>
internal sealed class DirectoryArchiveFiles : ArchiveFiles
{
    private readonly string _root;
    private readonly Dictionary<string, StagedFile?> _cache = new(StringComparer.Ordinal);

    public DirectoryArchiveFiles(string root, string staging) : base(staging) => _root = Path.GetFullPath(root);

    public override async Task<StagedFile?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var normalized = Normalize(name);
        if (_cache.TryGetValue(normalized, out var cached))
        {
            return cached;
        }
        var path = _root;
        foreach (var part in normalized.Split('/'))
        {
            path = Path.Combine(path, part);
            var info = new FileInfo(path);
            if (info.LinkTarget is not null)
            {
                throw new ImageException(ImageErrorCode.InvalidArchive, $"'{path}' is a symbolic link; an image layout directory must not contain links");
            }
        }
        StagedFile? staged = null;
        if (File.Exists(path))
        {
            await using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            staged = await StageAsync(source, AlgorithmFor(normalized), null, normalized, cancellationToken).ConfigureAwait(false);
        }
        _cache[normalized] = staged;
        return staged;
    }
}
