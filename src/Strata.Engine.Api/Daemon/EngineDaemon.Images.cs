using System.Globalization;
using Strata.Engine.Api.Router.Image;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;
using Strata.Engine.Containers;
using Strata.Engine.Events;
using Strata.Images;
using Strata.Images.Snapshots;
using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Engine.Api.Daemon;

/// <summary>
/// The image routes' backend over the image store (moby's daemon/images): names, inspect, history, tag,
/// delete, prune. Transfers (pull, push, save, load) and logins are in their own files.
/// </summary>
public sealed partial class EngineDaemon
{
    public IReadOnlyList<ImageSummary> ListImages(Filters filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        // Strata keeps no image without a name: nothing is dangling.
        if (!filters.TryGetBool("dangling", false, out var dangling, out var error))
        {
            throw ApiException.BadRequest(error);
        }
        if (dangling)
        {
            return [];
        }
        var images = Images().ToList();
        DateTimeOffset? before = filters.Contains("before") ? CreatedOf(filters.Get("before")) : null;
        DateTimeOffset? since = filters.Contains("since") ? CreatedOf(filters.Get("since")) : null;
        DateTimeOffset? until = filters.Contains("until") ? Timestamp.Parse(filters.Get("until")[0], _time.GetUtcNow()) : null;
        var list = new List<ImageSummary>();
        foreach (var image in images)
        {
            if ((before is { } b && image.Created >= b) || (since is { } s && image.Created <= s) || (until is { } u && image.Created >= u)
                || !filters.MatchLabels("label", image.Labels))
            {
                continue;
            }
            var tags = image.Names.Where(n => n.Tag is not null).Select(Familiar).ToList();
            var digests = image.Records.Select(r => ImageName.Parse(r.Name).FamiliarRepository + "@" + r.Target).Distinct().ToList();
            if (filters.Contains("reference"))
            {
                // moby keeps an image when one of its names matches, and lists only the names that do.
                var patterns = filters.Get("reference");
                tags = tags.Where(t => patterns.Any(p => Glob.FamiliarMatch(p, t))).ToList();
                digests = digests.Where(d => patterns.Any(p => Glob.FamiliarMatch(p, d))).ToList();
                if (tags.Count == 0 && digests.Count == 0)
                {
                    continue;
                }
            }
            list.Add(new ImageSummary
            {
                Id = image.Id.ToString(),
                RepoTags = tags.Order(StringComparer.Ordinal).ToList(),
                RepoDigests = digests.Order(StringComparer.Ordinal).ToList(),
                Created = image.Created.ToUnixTimeSeconds(),
                Size = image.Records[0].Size,
                Labels = image.Labels,
            });
        }
        return list.OrderByDescending(i => i.Created).ToList();
    }

    public ImageInspect InspectImage(string name)
    {
        var record = FindImage(name) ?? throw NoSuchImage(name);
        var image = LoadImage(record);
        var names = NamesOf(record.Config);
        return new ImageInspect
        {
            Id = record.Config.ToString(),
            RepoTags = names.Select(r => ImageName.Parse(r.Name)).Where(n => n.Tag is not null).Select(Familiar).Order(StringComparer.Ordinal).ToList(),
            RepoDigests = names.Select(r => ImageName.Parse(r.Name).FamiliarRepository + "@" + r.Target).Distinct().Order(StringComparer.Ordinal).ToList(),
            Comment = image.Config.History?.LastOrDefault()?.Comment ?? "",
            Created = image.Config.Created is { } created ? Timestamp.Format(created) : null,
            Author = image.Config.Author ?? "",
            Config = image.Config.Config,
            Architecture = image.Config.Architecture,
            Variant = image.Config.Variant,
            Os = image.Config.Os,
            OsVersion = image.Config.OsVersion,
            Size = record.Size,
            GraphDriver = new GraphDriverData(SnapshotStore.OverlaySupported ? "overlay" : "copy", null),
            RootFS = new ImageRootFs(image.Config.RootFs.Type, image.Config.RootFs.DiffIds.Select(d => d.ToString()).ToList()),
            Metadata = new ImageMetadata(Timestamp.Format(names.Max(r => r.Updated))),
        };
    }

    public IReadOnlyList<HistoryItem> ImageHistory(string name)
    {
        var record = FindImage(name) ?? throw NoSuchImage(name);
        var image = LoadImage(record);
        var layers = image.Manifest.Layers ?? [];
        var items = new List<HistoryItem>();
        var layer = 0;
        foreach (var step in image.Config.History ?? [])
        {
            var size = step.EmptyLayer == true || layer >= layers.Count ? 0 : layers[layer++].Size;
            items.Add(new HistoryItem
            {
                Id = "<missing>",
                Created = step.Created?.ToUnixTimeSeconds() ?? 0,
                CreatedBy = step.CreatedBy ?? "",
                Size = size,
                Comment = step.Comment ?? "",
            });
        }
        // An image without history (some tools write none) still has its layers.
        for (; layer < layers.Count; layer++)
        {
            items.Add(new HistoryItem { Id = "<missing>", Created = image.Config.Created?.ToUnixTimeSeconds() ?? 0, Size = layers[layer].Size });
        }
        items.Reverse();
        if (items.Count > 0)
        {
            var tags = NamesOf(record.Config).Select(r => ImageName.Parse(r.Name)).Where(n => n.Tag is not null).Select(Familiar).Order(StringComparer.Ordinal).ToList();
            items[0] = items[0] with { Id = record.Config.ToString(), Tags = tags.Count > 0 ? tags : null };
        }
        return items;
    }

    public void TagImage(string name, string repository, string tag)
    {
        var record = FindImage(name) ?? throw NoSuchImage(name);
        if (repository.Length == 0)
        {
            throw ApiException.BadRequest("repository name must have at least one component");
        }
        if (!ImageName.TryParse(repository, out var target, out var error))
        {
            throw ApiException.BadRequest("invalid reference format: " + error);
        }
        if (target.Digest is not null || Digest.TryParse(tag, out _, out _))
        {
            throw ApiException.BadRequest("refusing to create a tag with a digest reference");
        }
        if (tag.Length > 0)
        {
            if (!Reference.IsValidTag(tag))
            {
                throw ApiException.BadRequest($"invalid tag format: {tag}");
            }
            target = target.WithTag(tag);
        }
        _images.Tag(record.Name, target);
        PublishImageEvent("tag", record.Config.ToString(), Familiar(target));
    }

    public IReadOnlyList<ImageDeleteResponseItem> DeleteImage(string name, bool force, bool prune)
    {
        var record = FindImage(name) ?? throw NoSuchImage(name);
        var id = record.Config;
        var shortId = id.Encoded[..12];
        var records = new List<ImageDeleteResponseItem>();
        var names = NamesOf(id);
        var users = ContainersUsing(names);
        if (!IsIdReference(name, id))
        {
            // moby: a name goes unless it is the image's last reference and a container uses the image.
            if (!force && IsSingleReference(names) && users.Count > 0)
            {
                throw ApiException.Conflict($"conflict: unable to remove repository reference \"{name}\" (must force) - container {users[0].Id[..12]} is using its referenced image {shortId}");
            }
            var removed = ImageName.Parse(record.Name);
            Untag(record, records);
            if (removed.Tag is not null && !NamesOf(id).Any(r => ImageName.Parse(r.Name) is { Tag: not null } n && n.FullRepository == removed.FullRepository))
            {
                // The last tag of a repository takes that repository's digest references with it.
                foreach (var digested in NamesOf(id).Where(r => ImageName.Parse(r.Name) is { Tag: null } n && n.FullRepository == removed.FullRepository))
                {
                    Untag(digested, records);
                }
            }
            if (NamesOf(id).Count > 0 || users.Count > 0)
            {
                // Still named, or kept for a container that uses it (its lease keeps the content).
                return records;
            }
        }
        else
        {
            if (users.FirstOrDefault(u => u.State == ContainerState.Running) is { } running)
            {
                throw ApiException.Conflict($"conflict: unable to delete {shortId} (cannot be forced) - image is being used by running container {running.Id[..12]}");
            }
            if (!force && !IsSingleReference(names))
            {
                throw ApiException.Conflict($"conflict: unable to delete {shortId} (must be forced) - image is referenced in multiple repositories");
            }
            if (!force && users.Count > 0)
            {
                throw ApiException.Conflict($"conflict: unable to delete {shortId} (must be forced) - image is being used by stopped container {users[0].Id[..12]}");
            }
            foreach (var r in names)
            {
                Untag(r, records);
            }
            if (users.Count > 0)
            {
                return records;
            }
        }
        records.Add(new ImageDeleteResponseItem { Deleted = id.ToString() });
        PublishImageEvent("delete", id.ToString(), id.ToString());
        if (prune)
        {
            // The image's blobs and snapshots no other name or lease holds (waits for pulls in progress).
            _images.Prune();
        }
        return records;
    }

    public ImagePruneReport PruneImages(Filters filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        if (!filters.TryGetBool("dangling", true, out var danglingOnly, out var error))
        {
            throw ApiException.BadRequest(error);
        }
        DateTimeOffset? until = filters.Contains("until") ? Timestamp.Parse(filters.Get("until")[0], _time.GetUtcNow()) : null;
        var deleted = new List<ImageDeleteResponseItem>();
        // Strata keeps no image without a name, so only `prune -a` removes images; both collect content.
        if (!danglingOnly)
        {
            var leased = _images.Metadata.ListLeases().Select(l => l.Manifest).ToHashSet();
            foreach (var image in Images())
            {
                if (image.Records.Any(r => leased.Contains(r.Manifest)) || (until is { } u && image.Created >= u)
                    || !filters.MatchLabels("label", image.Labels) || (filters.Contains("label!") && filters.MatchLabels("label!", image.Labels)))
                {
                    continue;
                }
                foreach (var r in image.Records)
                {
                    Untag(r, deleted);
                }
                deleted.Add(new ImageDeleteResponseItem { Deleted = image.Id.ToString() });
                PublishImageEvent("delete", image.Id.ToString(), image.Id.ToString());
            }
        }
        var result = _images.Prune();
        PublishImageEvent("prune", "", null, new Dictionary<string, string> { ["reclaimed"] = result.Bytes.ToString(CultureInfo.InvariantCulture) });
        return new ImagePruneReport(deleted.Count == 0 ? null : deleted, result.Bytes);
    }

    /// <summary>One image as the list and prune see it: every name of one config, its labels and creation time.</summary>
    private sealed record StoredImage(Digest Id, IReadOnlyList<ImageRecord> Records, IReadOnlyList<ImageName> Names, DateTimeOffset Created, IReadOnlyDictionary<string, string> Labels);

    private IEnumerable<StoredImage> Images()
    {
        foreach (var group in _images.Metadata.ListImages().GroupBy(r => r.Config))
        {
            var records = group.ToList();
            IReadOnlyDictionary<string, string> labels = new Dictionary<string, string>();
            DateTimeOffset? created = null;
            if (_images.Content.Exists(group.Key))
            {
                var config = ImageService.ParseConfig(_images.Content.ReadAll(group.Key), records[0].Name);
                labels = config.Config?.Labels ?? labels;
                created = config.Created;
            }
            yield return new StoredImage(group.Key, records, records.Select(r => ImageName.Parse(r.Name)).ToList(), created ?? records.Max(r => r.Created ?? r.Updated), labels);
        }
    }

    private DateTimeOffset CreatedOf(IReadOnlyList<string> references)
    {
        var record = FindImage(references[0]) ?? throw NoSuchImage(references[0]);
        return Images().First(i => i.Id == record.Config).Created;
    }

    /// <summary>
    /// An image by name (normalized as docker does), by full or short ID, or by repository@digest when a
    /// name of that repository resolved to the digest (dockerd keeps both references of a pull).
    /// </summary>
    private ImageRecord? FindImage(string reference)
    {
        if (_images.Find(reference) is { } found)
        {
            return found;
        }
        if (ImageName.TryParse(reference, out var name, out _) && name.Digest is { } digest)
        {
            return _images.Metadata.ListImages().FirstOrDefault(r =>
                ImageName.TryParse(r.Name, out var n, out _) && n.FullRepository == name.FullRepository && (r.Target == digest || r.Manifest == digest));
        }
        return null;
    }

    private Strata.Images.Image LoadImage(ImageRecord record)
    {
        try
        {
            return _images.Load(record.Name);
        }
        catch (ImageException e)
        {
            throw new ApiException(500, e.Message);
        }
    }

    private List<ImageRecord> NamesOf(Digest id) => _images.Metadata.ListImages().Where(r => r.Config == id).ToList();

    /// <summary>The containers whose lease holds one of these names' manifests.</summary>
    private List<EngineContainer> ContainersUsing(IReadOnlyList<ImageRecord> names)
    {
        var manifests = names.Select(n => n.Manifest).ToHashSet();
        var ids = _images.Metadata.ListLeases().Where(l => manifests.Contains(l.Manifest)).Select(l => l.Id).ToHashSet(StringComparer.Ordinal);
        if (ids.Count == 0)
        {
            return [];
        }
        lock (_lock)
        {
            return _containers.List(all: true).Where(c => ids.Contains(EngineContainer.LeaseIdFor(c.Id))).ToList();
        }
    }

    private void Untag(ImageRecord record, List<ImageDeleteResponseItem> records)
    {
        if (_images.Metadata.DeleteImage(record.Name))
        {
            var name = ImageName.Parse(record.Name);
            records.Add(new ImageDeleteResponseItem { Untagged = Familiar(name) });
            PublishImageEvent("untag", record.Config.ToString(), record.Config.ToString());
        }
    }

    /// <summary>moby's isImageIDPrefix: the reference is a prefix of "sha256:ID" or of ID.</summary>
    private static bool IsIdReference(string reference, Digest id) =>
        reference.Length > 0 && (id.ToString().StartsWith(reference, StringComparison.Ordinal) || id.Encoded.StartsWith(reference, StringComparison.Ordinal));

    /// <summary>moby's isSingleReference: at most one tag, and any digest references in that tag's repository only.</summary>
    private static bool IsSingleReference(List<ImageRecord> records)
    {
        if (records.Count <= 1)
        {
            return records.Count == 1;
        }
        var names = records.Select(r => ImageName.Parse(r.Name)).ToList();
        var tagged = names.Where(n => n.Tag is not null).ToList();
        var digested = names.Where(n => n.Tag is null).Select(n => n.FullRepository).ToHashSet(StringComparer.Ordinal);
        if (tagged.Count > 1)
        {
            return false;
        }
        var single = tagged.Count == 1 ? tagged[0].FullRepository : names[0].FullRepository;
        return digested.Count == 1 && digested.Contains(single);
    }

    /// <summary>The short form docker prints: "busybox:latest", "127.0.0.1:5000/team/app@sha256:…".</summary>
    internal static string Familiar(ImageName name) =>
        name.FamiliarRepository + (name.Tag is { } tag ? ":" + tag : "") + (name.Digest is { } digest ? "@" + digest : "");

    /// <summary>moby's ErrImageDoesNotExist: "No such image: busybox:latest" (a name is shown normalized).</summary>
    private static ApiException NoSuchImage(string reference) =>
        ApiException.NotFound("No such image: " + (ImageName.TryParse(reference, out var name, out _) && !reference.All(char.IsAsciiHexDigitLower) ? Familiar(name) : reference));

    /// <summary>
    /// An image event as moby's LogImageEvent: pull and push name the reference (its familiar form as the
    /// actor), the others the image ID; "name" says which.
    /// </summary>
    private void PublishImageEvent(string action, string actorId, string? name, IReadOnlyDictionary<string, string>? extra = null)
    {
        var attributes = new Dictionary<string, string>(extra ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (name is not null)
        {
            attributes["name"] = name;
        }
        Events.Publish(EventType.Image, action, actorId, attributes);
    }
}
