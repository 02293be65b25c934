using System.Runtime.InteropServices;
using System.Text.Json;
using Strata.Images.Distribution;
using Strata.Images.Snapshots;
using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Images;

public sealed class ImageServiceOptions
{
    /// <summary>The store's root directory (strata's --root).</summary>
    public string Root { get; set; } = "/var/lib/strata";

    public bool TlsVerify { get; set; } = true;

    /// <summary>Layers transferred at the same time, as docker's max-concurrent-downloads (default 3).</summary>
    public int Concurrency { get; set; } = 3;

    public CredentialStore? Credentials { get; set; }

    /// <summary>
    /// Registries on a loopback address (localhost, 127.0.0.0/8, ::1) are reached as insecure ones: https
    /// without certificate checks, falling back to plain http, as dockerd treats 127.0.0.0/8 by default.
    /// </summary>
    public bool LoopbackInsecure { get; set; }

    public TimeProvider Time { get; set; } = TimeProvider.System;
}

/// <summary>How a push uploads blobs it cannot skip or mount.</summary>
public enum UploadMode
{
    /// <summary>Chunked for blobs larger than <see cref="PushOptions.ChunkedThreshold"/>, monolithic otherwise.</summary>
    Auto,
    Monolithic,
    Chunked,
}

public sealed class PushOptions
{
    /// <summary>Credentials for this push (docker's X-Registry-Auth); null uses the credential store's.</summary>
    public Credential? Credential { get; set; }

    /// <summary>False reaches this registry as an insecure one (https unchecked, then http) for this push alone; null keeps the service's rule.</summary>
    public bool? TlsVerify { get; set; }

    public UploadMode Mode { get; set; } = UploadMode.Auto;

    /// <summary>Bytes per PATCH; the registry's OCI-Chunk-Min-Length wins when larger.</summary>
    public long ChunkSize { get; set; } = 16L << 20;

    /// <summary>In <see cref="UploadMode.Auto"/>, blobs larger than this go in chunks, so a failure resumes from the last chunk.</summary>
    public long ChunkedThreshold { get; set; } = 64L << 20;

    /// <summary>The chunk size to upload a blob of <paramref name="size"/> bytes with, or null for one monolithic PUT.</summary>
    public long? ChunkSizeFor(long size) => Mode switch
    {
        UploadMode.Chunked => ChunkSize,
        UploadMode.Auto when size > ChunkedThreshold => ChunkSize,
        _ => null,
    };
}

/// <summary>What a pull may say beyond the image name.</summary>
public sealed class PullOptions
{
    /// <summary>Credentials for this pull (docker's X-Registry-Auth); null uses the credential store's.</summary>
    public Credential? Credential { get; set; }

    /// <summary>The architecture to take from an index; null is this machine's.</summary>
    public string? Architecture { get; set; }

    /// <summary>False reaches this registry as an insecure one (https unchecked, then http) for this pull alone; null keeps the service's rule.</summary>
    public bool? TlsVerify { get; set; }
}

/// <summary>A loaded image: its name record and its documents.</summary>
public sealed record Image(ImageRecord Record, Manifest Manifest, ImageConfig Config);

/// <summary>What a prune removed.</summary>
public sealed record PruneResult(IReadOnlyList<Digest> Blobs, IReadOnlyList<Digest> Snapshots, long Bytes);

/// <summary>
/// The local image store: pull, push, tag, remove, prune. Blobs live in the <see cref="ContentStore"/>,
/// names in the <see cref="MetadataStore"/>, unpacked layers in the <see cref="SnapshotStore"/>.
/// </summary>
public sealed class ImageService : IDisposable
{
    private readonly ImageServiceOptions _options;

    public ImageService(ImageServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Directory.CreateDirectory(options.Root);
        StoreLock.EnsureExists(options.Root);
        Content = new ContentStore(options.Root);
        Metadata = new MetadataStore(options.Root);
        Snapshots = new SnapshotStore(options.Root, Content);
    }

    public ContentStore Content { get; }
    public MetadataStore Metadata { get; }
    public SnapshotStore Snapshots { get; }
    public string Root => _options.Root;

    /// <summary>The image-spec architecture name of this machine.</summary>
    public static string HostArchitecture => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "386",
        Architecture.Arm => "arm",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        _ => RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
    };

    /// <param name="tlsVerify">False for a registry the caller names insecure (podman's --tls-verify=false); it can only lower the service's rule, never raise it.</param>
    public RegistryClient CreateClient(string registry, Credential? credential = null, bool? tlsVerify = null) =>
        new(registry, _options.Credentials, new RegistryClientOptions { TlsVerify = tlsVerify != false && _options.TlsVerify && !(_options.LoopbackInsecure && IsLoopback(registry)) })
        {
            Credential = credential,
        };

    /// <summary>localhost, 127.0.0.0/8 or ::1, with or without a port.</summary>
    public static bool IsLoopback(string registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var host = registry;
        if (host.StartsWith('[') && host.IndexOf(']', StringComparison.Ordinal) is var end and > 0)
        {
            host = host[1..end];
        }
        else if (host.LastIndexOf(':') is var colon and > 0 && host.IndexOf(':', StringComparison.Ordinal) == colon)
        {
            host = host[..colon];
        }
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address));
    }

    /// <summary>
    /// Pulls an image: the manifest (the linux/ARCH entry of an index), its config and layers, concurrently,
    /// skipping blobs already stored; the name is recorded only once every blob is in place.
    /// </summary>
    public Task<ImageRecord> PullAsync(ImageName name, ITransferProgress? progress = null, CancellationToken cancellationToken = default) =>
        PullAsync(name, new PullOptions(), progress, cancellationToken);

    /// <inheritdoc cref="PullAsync(ImageName, ITransferProgress?, CancellationToken)"/>
    public async Task<ImageRecord> PullAsync(ImageName name, PullOptions options, ITransferProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        var architecture = options.Architecture ?? HostArchitecture;
        // Held until the name is recorded: a prune must not take the blobs written so far for garbage.
        using var storeLock = StoreLock.Shared(Root);
        using var client = CreateClient(name.Registry, options.Credential, options.TlsVerify);
        var top = await client.GetManifestAsync(name.Repository, name.ManifestReference, cancellationToken).ConfigureAwait(false);
        Content.Write(top.Digest, top.Bytes);
        var platform = top;
        if (MediaTypes.IsIndex(top.MediaType))
        {
            var index = JsonSerializer.Deserialize(top.Bytes, ImageJsonContext.Default.ImageIndex)
                ?? throw new ImageException(ImageErrorCode.Registry, $"{name}: index is null");
            var chosen = SelectPlatform(index, "linux", architecture)
                ?? throw new ImageException(ImageErrorCode.PlatformNotFound,
                    $"{name} has no linux/{architecture} image; it offers {string.Join(", ", (index.Manifests ?? []).Select(m => $"{m.Platform?.Os}/{m.Platform?.Architecture}{(m.Platform?.Variant is { } v ? "/" + v : "")}"))}");
            platform = await client.GetManifestAsync(name.Repository, chosen.Digest.ToString(), cancellationToken).ConfigureAwait(false);
            if (!MediaTypes.IsImageManifest(platform.MediaType))
            {
                throw new ImageException(ImageErrorCode.UnsupportedMediaType, $"{name}: index entry {chosen.Digest} is a {platform.MediaType}, not an image manifest");
            }
            Content.Write(platform.Digest, platform.Bytes);
        }
        var manifest = ParseManifest(platform.Bytes, name.ToString());
        progress?.Resolved(platform.Digest, manifest);
        var blobs = new List<Descriptor> { manifest.Config! };
        blobs.AddRange(manifest.Layers!);
        using var gate = new SemaphoreSlim(Math.Max(1, _options.Concurrency));
        var tasks = blobs.DistinctBy(b => b.Digest).Select(async blob =>
        {
            if (Content.SizeOf(blob.Digest) == blob.Size)
            {
                progress?.Report(blob.Digest, blob.Size, BlobState.AlreadyExists, blob.Size);
                return;
            }
            progress?.Report(blob.Digest, blob.Size, BlobState.Waiting, 0);
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var reporter = progress is null ? null : new Progress(blob, progress);
                await client.FetchBlobAsync(name.Repository, blob, Content, reporter, cancellationToken).ConfigureAwait(false);
                progress?.Report(blob.Digest, blob.Size, BlobState.Done, blob.Size);
            }
            catch
            {
                progress?.Report(blob.Digest, blob.Size, BlobState.Failed, 0);
                throw;
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var config = ParseConfig(Content.ReadAll(manifest.Config!.Digest), name.ToString());
        if (config.RootFs.DiffIds.Count != manifest.Layers!.Count)
        {
            throw new ImageException(ImageErrorCode.InvalidLayer, $"{name}: manifest has {manifest.Layers.Count} layers, config has {config.RootFs.DiffIds.Count} diff_ids");
        }
        var record = new ImageRecord(
            name.ToString(), top.Digest, top.MediaType, platform.Digest, manifest.Config.Digest,
            blobs.Sum(b => b.Size), config.Created, _options.Time.GetUtcNow());
        Metadata.PutImage(record);
        return record;
    }

    /// <summary>
    /// Pushes a stored image's platform manifest to <paramref name="destination"/>: per blob a HEAD, else a
    /// cross-repository mount when the image came from the same registry, else an upload, monolithic or in
    /// chunks as <paramref name="options"/> choose; the manifest last, with its original bytes so its digest
    /// is unchanged.
    /// </summary>
    public async Task<Digest> PushAsync(string source, ImageName destination, ITransferProgress? progress = null, PushOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        options ??= new PushOptions();
        var image = Load(source);
        var sourceName = ImageName.TryParse(image.Record.Name.Split('@')[0], out var parsed, out _) ? parsed : null;
        var mountFrom = sourceName is not null && sourceName.Registry == destination.Registry ? sourceName.Repository : null;
        using var client = CreateClient(destination.Registry, options.Credential, options.TlsVerify);
        progress?.Resolved(image.Record.Manifest, image.Manifest);
        var blobs = new List<Descriptor> { image.Manifest.Config! };
        blobs.AddRange(image.Manifest.Layers!);
        using var gate = new SemaphoreSlim(Math.Max(1, _options.Concurrency));
        var tasks = blobs.DistinctBy(b => b.Digest).Select(async blob =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (await client.BlobExistsAsync(destination.Repository, blob.Digest, cancellationToken).ConfigureAwait(false))
                {
                    progress?.Report(blob.Digest, blob.Size, BlobState.AlreadyExists, blob.Size);
                    return;
                }
                progress?.Report(blob.Digest, blob.Size, BlobState.Transferring, 0);
                var reporter = progress is null ? null : new Progress(blob, progress);
                var mounted = await client.PushBlobAsync(
                    destination.Repository, blob.Digest, blob.Size, () => Content.OpenRead(blob.Digest), mountFrom,
                    reporter, options.ChunkSizeFor(blob.Size), cancellationToken).ConfigureAwait(false);
                progress?.Report(blob.Digest, blob.Size, mounted ? BlobState.Mounted : BlobState.Done, blob.Size);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var bytes = Content.ReadAll(image.Record.Manifest);
        var mediaType = image.Manifest.MediaType ?? MediaTypes.OciManifest;
        return await client.PutManifestAsync(destination.Repository, destination.ManifestReference, bytes, mediaType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Finds an image by name (normalized as docker does: "busybox" is docker.io/library/busybox:latest),
    /// by full or short image ID (the config digest), or by name@digest.
    /// </summary>
    public ImageRecord? Find(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (ImageName.TryParse(reference, out var name, out _) && Metadata.GetImage(name.ToString()) is { } byName)
        {
            return byName;
        }
        var id = reference.StartsWith("sha256:", StringComparison.Ordinal) ? reference["sha256:".Length..] : reference;
        if (id.Length >= 4 && id.All(char.IsAsciiHexDigitLower))
        {
            var matches = Metadata.ListImages().Where(i => i.Config.Encoded.StartsWith(id, StringComparison.Ordinal)).ToList();
            if (matches.Select(m => m.Config).Distinct().Count() == 1)
            {
                return matches[0];
            }
        }
        return null;
    }

    public Image Load(string reference)
    {
        var record = Find(reference) ?? throw new ImageException(ImageErrorCode.ImageNotFound, $"image '{reference}' is not in the store");
        var manifest = ParseManifest(Content.ReadAll(record.Manifest), record.Name);
        var config = ParseConfig(Content.ReadAll(record.Config), record.Name);
        return new Image(record, manifest, config);
    }

    /// <summary>Gives the image <paramref name="source"/> names the additional name <paramref name="target"/>.</summary>
    public ImageRecord Tag(string source, ImageName target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var record = Find(source) ?? throw new ImageException(ImageErrorCode.ImageNotFound, $"image '{source}' is not in the store");
        var tagged = record with { Name = target.ToString(), Updated = _options.Time.GetUtcNow() };
        Metadata.PutImage(tagged);
        return tagged;
    }

    /// <summary>
    /// Removes a name; given an image ID, every name of that image. Refuses an image a lease holds
    /// (a container uses it).
    /// Returns the names removed; content is reclaimed by <see cref="Prune"/>.
    /// </summary>
    public IReadOnlyList<string> Remove(string reference, bool force = false)
    {
        var record = Find(reference) ?? throw new ImageException(ImageErrorCode.ImageNotFound, $"image '{reference}' is not in the store");
        var byName = ImageName.TryParse(reference, out var name, out _) && name.ToString() == record.Name;
        var names = byName ? [record.Name] : Metadata.ListImages().Where(i => i.Config == record.Config).Select(i => i.Name).ToList();
        var remaining = Metadata.ListImages().Where(i => i.Config == record.Config && !names.Contains(i.Name)).ToList();
        if (!force && remaining.Count == 0 && Metadata.ListLeases().FirstOrDefault(l => l.Manifest == record.Manifest) is { } lease)
        {
            throw new ImageException(ImageErrorCode.InUse, $"image {record.Name} is used by {lease.Holder}; remove it first");
        }
        foreach (var n in names)
        {
            Metadata.DeleteImage(n);
        }
        return names;
    }

    /// <summary>
    /// Deletes blobs and snapshots no name and no lease references (mark and sweep over manifests,
    /// indexes and configs). Never touches content a container uses: the engine leases it.
    /// </summary>
    public PruneResult Prune()
    {
        // Exclusive: waits for pulls, loads and container starts in progress, whose content is not yet
        // referenced by a name or a lease, and keeps new ones out until the sweep is done.
        using var storeLock = StoreLock.Exclusive(Root);
        var liveBlobs = new HashSet<Digest>();
        var liveSnapshots = new HashSet<Digest>();
        var roots = Metadata.ListImages().SelectMany(i => new[] { i.Target, i.Manifest })
            .Concat(Metadata.ListLeases().Select(l => l.Manifest));
        foreach (var root in roots)
        {
            Mark(root, liveBlobs, liveSnapshots);
        }
        var blobs = new List<Digest>();
        long bytes = 0;
        foreach (var digest in Content.List().ToList())
        {
            if (!liveBlobs.Contains(digest))
            {
                bytes += Content.SizeOf(digest) ?? 0;
                Content.Delete(digest);
                blobs.Add(digest);
            }
        }
        var snapshots = new List<Digest>();
        foreach (var diffId in Snapshots.List().ToList())
        {
            if (!liveSnapshots.Contains(diffId))
            {
                Snapshots.Delete(diffId);
                snapshots.Add(diffId);
            }
        }
        Snapshots.CleanTemporary();
        Content.CleanIngest(TimeSpan.FromHours(1), _options.Time.GetUtcNow());
        return new PruneResult(blobs, snapshots, bytes);
    }

    private void Mark(Digest digest, HashSet<Digest> blobs, HashSet<Digest> snapshots)
    {
        if (!blobs.Add(digest) || !Content.Exists(digest))
        {
            return;
        }
        byte[] bytes = Content.ReadAll(digest);
        using var doc = JsonDocument.Parse(bytes);
        if (doc.RootElement.TryGetProperty("manifests", out _))
        {
            var index = JsonSerializer.Deserialize(bytes, ImageJsonContext.Default.ImageIndex);
            foreach (var m in index?.Manifests ?? [])
            {
                // Only the entries that were pulled are present; the rest are skipped by Content.Exists.
                Mark(m.Digest, blobs, snapshots);
            }
            return;
        }
        var manifest = JsonSerializer.Deserialize(bytes, ImageJsonContext.Default.Manifest);
        if (manifest?.Config is { } config)
        {
            blobs.Add(config.Digest);
            if (Content.Exists(config.Digest))
            {
                var imageConfig = ParseConfig(Content.ReadAll(config.Digest), digest.ToString());
                snapshots.UnionWith(imageConfig.RootFs.DiffIds);
            }
        }
        foreach (var layer in manifest?.Layers ?? [])
        {
            blobs.Add(layer.Digest);
        }
    }

    /// <summary>The index entry for os/architecture, preferring no variant or v8 on arm64.</summary>
    public static Descriptor? SelectPlatform(ImageIndex index, string os, string architecture)
    {
        ArgumentNullException.ThrowIfNull(index);
        return (index.Manifests ?? [])
            .Where(m => m.Platform is { } p && p.Os == os && p.Architecture == architecture && MediaTypes.IsImageManifest(m.MediaType))
            .OrderBy(m => m.Platform!.Variant is null or "v8" ? 0 : 1)
            .FirstOrDefault();
    }

    public static Manifest ParseManifest(byte[] bytes, string what)
    {
        Manifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(bytes, ImageJsonContext.Default.Manifest);
        }
        catch (JsonException e)
        {
            throw new ImageException(ImageErrorCode.Registry, $"{what}: malformed manifest: {e.Message}", e);
        }
        if (manifest?.Config is null || manifest.Layers is null)
        {
            throw new ImageException(ImageErrorCode.Registry, $"{what}: manifest lacks config or layers");
        }
        foreach (var layer in manifest.Layers)
        {
            if (!IsLayerMediaType(layer.MediaType))
            {
                throw new ImageException(ImageErrorCode.UnsupportedMediaType, $"{what}: layer {layer.Digest} has unsupported media type '{layer.MediaType}'");
            }
            if (layer.Size < 0)
            {
                throw new ImageException(ImageErrorCode.SizeMismatch, $"{what}: layer {layer.Digest} has negative size");
            }
        }
        return manifest;
    }

    public static ImageConfig ParseConfig(byte[] bytes, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, ImageJsonContext.Default.ImageConfig)
                ?? throw new ImageException(ImageErrorCode.Registry, $"{what}: config is null");
        }
        catch (JsonException e)
        {
            throw new ImageException(ImageErrorCode.Registry, $"{what}: malformed image config: {e.Message}", e);
        }
    }

    private static bool IsLayerMediaType(string mediaType) => mediaType is
        MediaTypes.OciLayer or MediaTypes.OciLayerGzip or MediaTypes.OciLayerZstd
        or MediaTypes.OciLayerNonDistributable or MediaTypes.OciLayerNonDistributableGzip or MediaTypes.OciLayerNonDistributableZstd
        or MediaTypes.DockerLayerGzip or MediaTypes.DockerForeignLayerGzip or "application/vnd.docker.image.rootfs.diff.tar";

    public void Dispose() => Metadata.Dispose();

    private sealed class Progress(Descriptor blob, ITransferProgress sink) : IProgress<long>
    {
        public void Report(long value) => sink.Report(blob.Digest, blob.Size, BlobState.Transferring, value);
    }
}
