using Strata.Engine.Api.Router.System;
using Strata.Engine.Api.Types;
using Strata.Engine.Archive;
using Strata.Engine.Containers;

namespace Strata.Engine.Api.Daemon;

/// <summary>
/// GET /system/df (moby's daemon/disk_usage.go) and the sizes of size=true: a container's own layer is its
/// overlay upper directory (the whole copy for a copied rootfs); its root filesystem adds its image's size;
/// an image's shared size is that of its layers another image has too.
/// </summary>
public sealed partial class EngineDaemon : IDataUsageBackend
{
    public Task<SystemDataUsage> GetDataUsageAsync(IReadOnlySet<string> types, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(types);
        bool Wants(string type) => types.Count == 0 || types.Contains(type);
        var now = _time.GetUtcNow();
        IReadOnlyList<EngineContainer> containers;
        lock (_lock)
        {
            containers = _containers.List(all: true);
        }
        List<ContainerSummary>? containerList = null;
        if (Wants("container"))
        {
            containerList = containers.Select(c => WithSizes(Summary(c, now), c)).ToList();
        }
        List<ImageSummary>? images = null;
        long layersSize = 0;
        if (Wants("image"))
        {
            var stored = Images().ToList();
            var layersOf = new Dictionary<Strata.Oci.Image.Digest, IReadOnlyList<(string Digest, long Size)>>();
            foreach (var image in stored)
            {
                try
                {
                    var manifest = _images.Load(image.Records[0].Name).Manifest;
                    layersOf[image.Id] = (manifest.Layers ?? []).Select(l => (l.Digest.ToString(), l.Size)).ToList();
                }
                catch (Strata.Images.ImageException)
                {
                    layersOf[image.Id] = [];
                }
            }
            var users = layersOf.Values.SelectMany(l => l.Select(x => x.Digest).Distinct()).GroupBy(d => d, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            layersSize = layersOf.Values.SelectMany(l => l).DistinctBy(l => l.Digest).Sum(l => l.Size);
            images = stored.Select(image => new ImageSummary
            {
                Id = image.Id.ToString(),
                RepoTags = image.Names.Where(n => n.Tag is not null).Select(Familiar).Order(StringComparer.Ordinal).ToList(),
                RepoDigests = image.Records.Select(r => Strata.Images.ImageName.Parse(r.Name).FamiliarRepository + "@" + r.Target).Distinct().Order(StringComparer.Ordinal).ToList(),
                Created = image.Created.ToUnixTimeSeconds(),
                Size = image.Records[0].Size,
                SharedSize = layersOf[image.Id].Where(l => users[l.Digest] > 1).Sum(l => l.Size),
                Labels = image.Labels,
                Containers = containers.Count(c => c.Details.ImageId == image.Id.ToString() || image.Records.Any(r => r.Manifest == c.Manifest)),
            }).OrderByDescending(i => i.Created).ToList();
        }
        List<VolumeInfo>? volumes = null;
        if (Wants("volume"))
        {
            volumes = Volumes.List().Select(u => ToInfo(u.Volume) with
            {
                UsageData = new VolumeUsageData(DiskUsage.Of(u.Volume.Mountpoint), u.Containers.Count),
            }).ToList();
        }
        return Task.FromResult(new SystemDataUsage
        {
            LayersSize = layersSize,
            Images = images ?? (Wants("image") ? [] : null),
            Containers = containerList,
            Volumes = volumes,
            BuildCache = Wants("build-cache") ? [] : null,
        });
    }

    private ContainerSummary WithSizes(ContainerSummary summary, EngineContainer c)
    {
        var rw = SizeRwOf(c);
        return summary with { SizeRw = rw, SizeRootFs = rw + ImageSizeOf(c) };
    }

    private long SizeRwOf(EngineContainer c)
    {
        var dir = _lifecycle.DirectoryOf(c.Id);
        return DiskUsage.Of(c.Snapshotter == "overlay" ? Path.Combine(dir, "upper") : Path.Combine(dir, "bundle", "rootfs"));
    }

    private long ImageSizeOf(EngineContainer c) =>
        c.Snapshotter == "overlay" ? _images.Metadata.ListImages().FirstOrDefault(r => r.Manifest == c.Manifest)?.Size ?? 0 : 0;
}
