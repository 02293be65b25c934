using Strata.Images.Store;
using Strata.Images.Unpack;
using Strata.Linux;
using Strata.Oci.Image;

namespace Strata.Images.Snapshots;

/// <summary>
/// Unpacked layers under ROOT/snapshots/HEX, keyed by DiffID and shared by every image and container that
/// uses the layer. Each layer is unpacked on its own, with deletions kept as overlay whiteouts, the way
/// docker's overlay2 driver stores diffs; a container's rootfs is then an overlay mount of them. A snapshot
/// is unpacked into a temporary directory and renamed into place only after its DiffID checked out, so a
/// snapshot directory that exists is complete.
/// </summary>
public sealed class SnapshotStore
{
    private readonly string _dir;
    private readonly ContentStore _content;

    public SnapshotStore(string root, ContentStore content)
    {
        _dir = Path.Combine(root, "snapshots");
        _content = content;
        Directory.CreateDirectory(_dir);
    }

    /// <summary>True when this process can mount overlays and write overlay whiteouts.</summary>
    public static bool OverlaySupported => Sys.EffectiveUserId == 0 && File.ReadAllText("/proc/filesystems").Contains("\toverlay\n", StringComparison.Ordinal);

    public string PathOf(Digest diffId) => Path.Combine(_dir, diffId.Encoded);

    public bool Exists(Digest diffId) => Directory.Exists(PathOf(diffId));

    public IEnumerable<Digest> List() =>
        Directory.EnumerateDirectories(_dir)
            .Select(Path.GetFileName)
            .Where(n => n is not null && !n.StartsWith('.'))
            .Select(n => Digest.TryParse("sha256:" + n, out var d) ? d : default)
            .Where(d => !d.IsEmpty);

    /// <summary>Unpacks each layer that has no snapshot yet; returns the snapshot directories, bottom layer first.</summary>
    public async Task<IReadOnlyList<string>> EnsureAsync(Manifest manifest, ImageConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(config);
        var layers = manifest.Layers ?? [];
        if (layers.Count != config.RootFs.DiffIds.Count)
        {
            throw new ImageException(ImageErrorCode.InvalidLayer, $"manifest has {layers.Count} layers but the config lists {config.RootFs.DiffIds.Count} diff_ids");
        }
        var paths = new List<string>();
        for (var i = 0; i < layers.Count; i++)
        {
            var diffId = config.RootFs.DiffIds[i];
            var path = PathOf(diffId);
            if (!Directory.Exists(path))
            {
                await UnpackAsync(layers[i], diffId, path, cancellationToken).ConfigureAwait(false);
            }
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>Applies every layer, deletions included, into one directory: the copy fallback where overlay is not available.</summary>
    public async Task FlattenAsync(Manifest manifest, ImageConfig config, string target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(config);
        var layers = manifest.Layers ?? [];
        for (var i = 0; i < layers.Count; i++)
        {
            await using var blob = _content.OpenRead(layers[i].Digest);
            var diffId = await LayerUnpacker.UnpackAsync(blob, target, new UnpackOptions { Whiteouts = WhiteoutMode.Apply }, cancellationToken).ConfigureAwait(false);
            if (i < config.RootFs.DiffIds.Count && diffId != config.RootFs.DiffIds[i])
            {
                throw new ImageException(ImageErrorCode.DigestMismatch, $"layer {layers[i].Digest} unpacks to {diffId}, the config says {config.RootFs.DiffIds[i]}");
            }
        }
    }

    public bool Delete(Digest diffId)
    {
        var path = PathOf(diffId);
        if (!Directory.Exists(path))
        {
            return false;
        }
        // Renamed aside first so a crash mid-delete never leaves a partial snapshot under its real name.
        var doomed = Path.Combine(_dir, $".delete-{diffId.Encoded}-{Guid.NewGuid():N}");
        Directory.Move(path, doomed);
        Directory.Delete(doomed, recursive: true);
        return true;
    }

    /// <summary>Removes temporary directories a crashed unpack or delete left.</summary>
    public void CleanTemporary()
    {
        foreach (var dir in Directory.EnumerateDirectories(_dir, ".*"))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private async Task UnpackAsync(Descriptor layer, Digest diffId, string path, CancellationToken cancellationToken)
    {
        var tmp = Path.Combine(_dir, $".unpack-{diffId.Encoded}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(tmp);
            Digest actual;
            await using (var blob = _content.OpenRead(layer.Digest))
            {
                actual = await LayerUnpacker.UnpackAsync(blob, tmp, new UnpackOptions { Whiteouts = WhiteoutMode.Overlay }, cancellationToken).ConfigureAwait(false);
            }
            if (actual != diffId)
            {
                throw new ImageException(ImageErrorCode.DigestMismatch, $"layer {layer.Digest} unpacks to {actual}, the config says {diffId}");
            }
            try
            {
                Directory.Move(tmp, path);
            }
            catch (IOException) when (Directory.Exists(path))
            {
                // Another process unpacked the same layer first; its copy is as good as ours.
            }
        }
        finally
        {
            if (Directory.Exists(tmp))
            {
                Directory.Delete(tmp, recursive: true);
            }
        }
    }
}
