using Strata.Engine.Api.Router.Image;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;
using Strata.Images;
using Strata.Images.Archive;
using Strata.Images.Distribution;
using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Engine.Api.Daemon;

/// <summary>Pull, push, save and load (moby's daemon/images image_pull.go, image_push.go, image_exporter.go).</summary>
public sealed partial class EngineDaemon
{
    public async Task PullAsync(string fromImage, string tag, string platform, AuthConfig? auth, RegistryTransfer transfer, IJsonMessageSink output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(transfer);
        var name = PullReference(fromImage, tag);
        var options = new PullOptions { Credential = CredentialOf(auth), TlsVerify = transfer.TlsVerify };
        if (platform.Length > 0)
        {
            var parts = platform.Split('/');
            if (parts.Length < 2 || parts[0] != "linux")
            {
                throw ApiException.BadRequest($"\"{platform}\": unknown operating system or architecture: invalid argument");
            }
            options.Architecture = parts[1];
        }
        var before = _images.Metadata.GetImage(name.ToString());
        var progress = new PullProgress(output, name, (digest, size) => _images.Content.SizeOf(digest) == size);
        ImageRecord record;
        try
        {
            record = await _images.PullAsync(name, options, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageException e)
        {
            throw PullError(e, name);
        }
        catch (HttpRequestException e)
        {
            throw new ApiException(500, e.Message);
        }
        progress.Complete();
        output.Write(new JsonMessage { Status = "Digest: " + record.Target });
        output.Write(new JsonMessage
        {
            Status = (before?.Config == record.Config ? "Status: Image is up to date for " : "Status: Downloaded newer image for ") + Familiar(name),
        });
        PublishImageEvent("pull", Familiar(name), Familiar(name));
    }

    public async Task PushAsync(string name, string tag, AuthConfig? auth, RegistryTransfer transfer, IJsonMessageSink output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(transfer);
        var pushOptions = PushOptionsOf(auth, transfer);
        if (transfer.Destination is { } destinationText)
        {
            await PushToAsync(name, destinationText, pushOptions, output, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!ImageName.TryParse(name, out var repository, out var error))
        {
            throw ApiException.BadRequest("invalid reference format: " + error);
        }
        if (repository.Digest is not null)
        {
            throw ApiException.BadRequest("cannot push a digest reference");
        }
        // A tag in the path ("app:1/push", older clients) counts when the query names none.
        if (tag.Length == 0 && name.LastIndexOf(':') > name.LastIndexOf('/'))
        {
            tag = repository.Tag ?? "";
        }
        // moby's Push: the repository line first, then the tags; a missing image is a line of the stream.
        output.Write(new JsonMessage { Status = $"The push refers to repository [{repository.FullRepository}]" });
        var candidates = _images.Metadata.ListImages()
            .Where(r => ImageName.TryParse(r.Name, out var n, out _) && n.FullRepository == repository.FullRepository && n.Tag is not null)
            .ToList();
        if (candidates.Count == 0)
        {
            throw new ApiException(404, "An image does not exist locally with the tag: " + repository.FamiliarRepository);
        }
        var targets = tag.Length > 0 ? candidates.Where(r => ImageName.Parse(r.Name).Tag == tag).ToList() : candidates;
        if (targets.Count == 0)
        {
            throw new ApiException(404, $"tag does not exist: {repository.FamiliarRepository}:{tag}");
        }
        foreach (var target in targets)
        {
            await PushOneAsync(target, ImageName.Parse(target.Name), pushOptions, output, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Strata's destination parameter (podman's): the one image <paramref name="source"/> names (by name or
    /// ID) pushed under another name, without naming it so in the store.
    /// </summary>
    private async Task PushToAsync(string source, string destinationText, PushOptions options, IJsonMessageSink output, CancellationToken cancellationToken)
    {
        if (!ImageName.TryParse(destinationText, out var destination, out var error))
        {
            throw ApiException.BadRequest("invalid reference format: " + error);
        }
        if (destination.Digest is not null)
        {
            throw ApiException.BadRequest("cannot push a digest reference");
        }
        var record = FindImage(source) ?? throw NoSuchImage(source);
        output.Write(new JsonMessage { Status = $"The push refers to repository [{destination.FullRepository}]" });
        await PushOneAsync(record, destination.Tag is null ? destination.WithTag("latest") : destination, options, output, cancellationToken).ConfigureAwait(false);
    }

    private async Task PushOneAsync(ImageRecord source, ImageName destination, PushOptions options, IJsonMessageSink output, CancellationToken cancellationToken)
    {
        var image = LoadImage(source);
        var progress = new PushProgress(output, image);
        Digest digest;
        try
        {
            digest = await _images.PushAsync(source.Name, destination, progress, options, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageException e)
        {
            throw new ApiException(500, e.Message);
        }
        catch (HttpRequestException e)
        {
            throw new ApiException(500, e.Message);
        }
        var size = (int)(_images.Content.SizeOf(image.Record.Manifest) ?? 0);
        output.Write(new JsonMessage { Status = $"{destination.Tag}: digest: {digest} size: {size}" });
        output.Write(new JsonMessage { ProgressDetail = JsonProgress.None, Aux = new PushResult(destination.Tag!, digest.ToString(), size) });
        PublishImageEvent("push", Familiar(destination), Familiar(destination));
    }

    private static PushOptions PushOptionsOf(AuthConfig? auth, RegistryTransfer transfer)
    {
        var options = new PushOptions
        {
            Credential = CredentialOf(auth),
            TlsVerify = transfer.TlsVerify,
            Mode = transfer.Upload switch { "monolithic" => UploadMode.Monolithic, "chunked" => UploadMode.Chunked, _ => UploadMode.Auto },
        };
        if (transfer.ChunkSize is { } chunk)
        {
            options.ChunkSize = chunk;
        }
        if (transfer.ChunkedThreshold is { } threshold)
        {
            options.ChunkedThreshold = threshold;
        }
        return options;
    }

    public async Task<Stream> SaveImagesAsync(IReadOnlyList<string> names, string format, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0)
        {
            throw ApiException.BadRequest("no images to save: name at least one");
        }
        var records = names.Select(n => FindImage(n) ?? throw NoSuchImage(n)).ToList();
        var dir = Path.Combine(Root, "tmp");
        Directory.CreateDirectory(dir);
        // The archive writer seeks back to fill in sizes: a temporary file, gone when the answer is sent.
        var file = new FileStream(Path.Combine(dir, $"save-{Guid.NewGuid():N}.tar"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await new ImageArchive(_images).SaveAsync(records.Select(r => r.Name).ToList(), file, ArchiveFormats.Parse(format), cancellationToken).ConfigureAwait(false);
            file.Position = 0;
        }
        catch (ImageException e)
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw new ApiException(500, e.Message);
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        foreach (var r in records)
        {
            PublishImageEvent("save", r.Config.ToString(), r.Config.ToString());
        }
        return file;
    }

    public async Task LoadImagesAsync(Stream archive, bool quiet, IJsonMessageSink output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        IReadOnlyList<LoadedImage> loaded;
        try
        {
            loaded = await new ImageArchive(_images).LoadAsync(archive, null, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageException e)
        {
            throw new ApiException(500, e.Message);
        }
        foreach (var image in loaded)
        {
            // Strata names an unnamed image localhost/ID:latest; docker reports it by its ID.
            output.Write(new JsonMessage
            {
                Stream = image.Named ? $"Loaded image: {Familiar(ImageName.Parse(image.Name))}\n" : $"Loaded image ID: {image.Record.Config}\n",
            });
            PublishImageEvent("load", image.Record.Config.ToString(), image.Record.Config.ToString());
        }
    }

    /// <summary>moby's PullImage: fromImage, then tag (which may be a digest); no tag is "latest".</summary>
    private static ImageName PullReference(string fromImage, string tag)
    {
        if (!ImageName.TryParse(fromImage, out var name, out var error))
        {
            throw ApiException.BadRequest("invalid reference format: " + error);
        }
        if (tag.Length == 0)
        {
            return name;
        }
        if (Digest.TryParse(tag, out var digest, out _))
        {
            return ImageName.Parse(name.FullRepository).WithDigest(digest);
        }
        if (!Reference.IsValidTag(tag))
        {
            throw ApiException.BadRequest("invalid reference format");
        }
        return name.WithTag(tag);
    }

    /// <summary>
    /// moby's translatePullError: a registry's "not there" and "denied" are 404s naming the reference as
    /// docker does; anything else is a 500 with the cause.
    /// </summary>
    private static ApiException PullError(ImageException e, ImageName name)
    {
        var cause = e.RegistryCode is { } code ? $"{code.ToLowerInvariant().Replace('_', ' ')}: {e.RegistryMessage}" : e.Message;
        return e.RegistryCode switch
        {
            "MANIFEST_UNKNOWN" => ApiException.NotFound($"manifest for {Familiar(name)} not found: {cause}"),
            "NAME_UNKNOWN" => ApiException.NotFound($"repository {name.FamiliarRepository} not found: {cause}"),
            "DENIED" => ApiException.NotFound($"pull access denied for {name.FamiliarRepository}, repository does not exist or may require 'docker login': {cause}"),
            _ when e.Code is ImageErrorCode.ManifestUnknown or ImageErrorCode.NameUnknown or ImageErrorCode.PlatformNotFound =>
                ApiException.NotFound(e.Code == ImageErrorCode.PlatformNotFound ? "no matching manifest for " + e.Message : $"manifest for {Familiar(name)} not found: {cause}"),
            _ => new ApiException(500, e.Message),
        };
    }

    /// <summary>
    /// The credentials of an X-Registry-Auth: a username and password, or "auth" (base64 user:password);
    /// none means the daemon's store (what `docker login` kept through /auth), else anonymous.
    /// </summary>
    private static Credential? CredentialOf(AuthConfig? auth)
    {
        if (auth is null)
        {
            return null;
        }
        if (auth.Username is { Length: > 0 } user)
        {
            return new Credential(user, auth.Password ?? "");
        }
        if (auth.Auth is { Length: > 0 } encoded)
        {
            try
            {
                var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
                var colon = text.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    return new Credential(text[..colon], text[(colon + 1)..]);
                }
            }
            catch (FormatException)
            {
                // Unreadable: as no credentials, like the rest of an invalid header.
            }
        }
        return null;
    }

    /// <summary>Docker's short layer id: the first 12 hex digits of a digest.</summary>
    private static string ShortId(Digest digest) => digest.Encoded[..Math.Min(12, digest.Encoded.Length)];

    /// <summary>
    /// A pull's lines as moby's puller writes them: "Pulling from", per layer "Pulling fs layer" or
    /// "Already exists", "Waiting", "Downloading" with bytes, "Download complete", and "Pull complete"
    /// once every blob is stored (Strata unpacks layers when a container first needs them, not here).
    /// </summary>
    private sealed class PullProgress(IJsonMessageSink output, ImageName name, Func<Digest, long, bool> stored) : ITransferProgress
    {
        private readonly Lock _lock = new();
        private readonly ProgressThrottle _throttle = new();
        private List<Descriptor> _layers = [];
        private HashSet<Digest> _present = [];

        public void Resolved(Digest manifestDigest, Manifest manifest)
        {
            output.Write(new JsonMessage { Status = "Pulling from " + name.Repository, Id = name.Tag ?? name.Digest?.ToString() });
            lock (_lock)
            {
                _layers = (manifest.Layers ?? []).DistinctBy(l => l.Digest).ToList();
                _present = _layers.Where(l => stored(l.Digest, l.Size)).Select(l => l.Digest).ToHashSet();
            }
            foreach (var layer in _layers)
            {
                output.Write(Line(layer.Digest, _present.Contains(layer.Digest) ? "Already exists" : "Pulling fs layer"));
            }
        }

        public void Report(Digest blob, long size, BlobState state, long bytesDone)
        {
            lock (_lock)
            {
                if (!_layers.Exists(l => l.Digest == blob) || _present.Contains(blob))
                {
                    return;
                }
            }
            switch (state)
            {
                case BlobState.Waiting:
                    output.Write(Line(blob, "Waiting"));
                    break;
                case BlobState.Transferring when _throttle.ShouldReport(blob, bytesDone, size):
                    output.Write(Bar(blob, "Downloading", bytesDone, size));
                    break;
                case BlobState.Done:
                    output.Write(Line(blob, "Download complete"));
                    break;
            }
        }

        public void Complete()
        {
            foreach (var layer in _layers.Where(l => !_present.Contains(l.Digest)))
            {
                output.Write(Line(layer.Digest, "Pull complete"));
            }
        }
    }

    /// <summary>A push's lines as moby's pusher writes them, per layer keyed by its DiffID as docker shows it.</summary>
    private sealed class PushProgress : ITransferProgress
    {
        private readonly IJsonMessageSink _output;
        private readonly Dictionary<Digest, Digest> _diffIds = [];
        private readonly ProgressThrottle _throttle = new();
        private readonly string _mountedFrom;

        public PushProgress(IJsonMessageSink output, Strata.Images.Image image)
        {
            _output = output;
            // The repository a same-registry push mounts blobs from (ImageService.PushAsync's candidate).
            _mountedFrom = ImageName.TryParse(image.Record.Name.Split('@')[0], out var source, out _) ? source.Repository : "";
            var layers = image.Manifest.Layers ?? [];
            for (var i = 0; i < layers.Count && i < image.Config.RootFs.DiffIds.Count; i++)
            {
                _diffIds.TryAdd(layers[i].Digest, image.Config.RootFs.DiffIds[i]);
            }
        }

        public void Resolved(Digest manifestDigest, Manifest manifest)
        {
            foreach (var id in _diffIds.Values.Distinct().Reverse())
            {
                _output.Write(Line(id, "Preparing"));
            }
        }

        public void Report(Digest blob, long size, BlobState state, long bytesDone)
        {
            if (!_diffIds.TryGetValue(blob, out var id))
            {
                return;
            }
            switch (state)
            {
                case BlobState.AlreadyExists:
                    _output.Write(Line(id, "Layer already exists"));
                    break;
                case BlobState.Transferring when _throttle.ShouldReport(blob, bytesDone, size):
                    _output.Write(Bar(id, "Pushing", bytesDone, size));
                    break;
                case BlobState.Mounted:
                    // moby's pusher names the repository it mounted from, as a path ("library/busybox").
                    _output.Write(Line(id, "Mounted from " + _mountedFrom));
                    break;
                case BlobState.Done:
                    _output.Write(Line(id, "Pushed"));
                    break;
            }
        }
    }

    private static JsonMessage Line(Digest layer, string status) => new() { Status = status, ProgressDetail = JsonProgress.None, Id = ShortId(layer) };

    private static JsonMessage Bar(Digest layer, string status, long current, long total) => new()
    {
        Status = status,
        ProgressDetail = new JsonProgress { Current = current > 0 ? current : null, Total = total > 0 ? total : null },
        Progress = ProgressBar.Render(current, total),
        Id = ShortId(layer),
    };
}

/// <summary>One "Downloading"/"Pushing" line per percent or 512 KiB of a blob, and its last byte, not one per read.</summary>
internal sealed class ProgressThrottle
{
    private readonly Dictionary<Digest, long> _last = [];
    private readonly Lock _lock = new();

    public bool ShouldReport(Digest blob, long done, long total)
    {
        lock (_lock)
        {
            var last = _last.GetValueOrDefault(blob, -1);
            var step = Math.Max(512 * 1024, total / 100);
            if (done == total || last < 0 || done - last >= step)
            {
                _last[blob] = done;
                return true;
            }
            return false;
        }
    }
}

/// <summary>moby's JSONProgress.String for a 50-column bar: "[=====>      ]  1.05MB/2.1MB".</summary>
internal static class ProgressBar
{
    public static string Render(long current, long total)
    {
        if (total <= 0)
        {
            return HumanSize(current).PadLeft(8);
        }
        var width = 50;
        var done = (int)Math.Clamp(current * width / total, 0, width);
        var bar = done == width ? new string('=', width) : new string('=', done) + ">" + new string(' ', width - done - 1);
        return $"[{bar}] {HumanSize(current),8}/{HumanSize(total)}";
    }

    /// <summary>go-units HumanSize: decimal units, four significant digits.</summary>
    public static string HumanSize(double size)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB"];
        var i = 0;
        while (size >= 1000 && i < units.Length - 1)
        {
            size /= 1000;
            i++;
        }
        return size.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) + units[i];
    }
}
