using System.Formats.Tar;
using System.Text;
using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Archive;

/// <summary>Small images written straight into a store: gzip layers, an OCI manifest, a config.</summary>
internal static class TestImages
{
    public static ImageRecord Create(ImageService store, string name, params string[] files)
    {
        var layers = new List<Descriptor>();
        var diffIds = new List<Digest>();
        foreach (var file in files)
        {
            using var builder = new LayerBuilder();
            var tar = builder.Dir("etc").File($"etc/{file}", $"content of {file}\n").Tar();
            var gz = LayerBuilder.Gzip(tar);
            var digest = Digest.Compute(gz);
            store.Content.Write(digest, gz);
            layers.Add(new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = digest, Size = gz.Length });
            diffIds.Add(Digest.Compute(tar));
        }
        var diffIdJson = string.Join(",", diffIds.Select(d => $"\"{d}\""));
        var config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"{{{ImageService.HostArchitecture}}}","os":"linux","config":{"Cmd":["/bin/sh"],"Labels":{"name":"{{{name}}}"}},"rootfs":{"type":"layers","diff_ids":[{{{diffIdJson}}}]}}""");
        var configDigest = Digest.Compute(config);
        store.Content.Write(configDigest, config);
        var layerJson = string.Join(",", layers.Select(l => $$"""{"mediaType":"{{l.MediaType}}","digest":"{{l.Digest}}","size":{{l.Size}}}"""));
        var manifest = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{MediaTypes.OciManifest}}","config":{"mediaType":"{{MediaTypes.OciConfig}}","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[{{layerJson}}]}""");
        var manifestDigest = Digest.Compute(manifest);
        store.Content.Write(manifestDigest, manifest);
        var record = new ImageRecord(ImageName.Parse(name).ToString(), manifestDigest, MediaTypes.OciManifest, manifestDigest, configDigest,
            config.Length + layers.Sum(l => l.Size), null, DateTimeOffset.UnixEpoch);
        store.Metadata.PutImage(record);
        return record;
    }

    /// <summary>Rewrites a tar, letting <paramref name="change"/> replace or drop entries (null drops) and append more.</summary>
    public static void Rewrite(string path, Func<string, byte[]?, (string Name, byte[]? Data)?> change, IEnumerable<TarEntry>? extra = null)
    {
        var entries = new List<(TarEntryType Type, string Name, byte[]? Data, string? Link)>();
        using (var reader = new TarReader(File.OpenRead(path)))
        {
            while (reader.GetNextEntry(copyData: true) is { } e)
            {
                byte[]? data = null;
                if (e.DataStream is { } s)
                {
                    using var ms = new MemoryStream();
                    s.CopyTo(ms);
                    data = ms.ToArray();
                }
                if (e.EntryType == TarEntryType.Directory)
                {
                    entries.Add((e.EntryType, e.Name, null, null));
                    continue;
                }
                if (change(e.Name, data) is { } replaced)
                {
                    entries.Add((e.EntryType, replaced.Name, replaced.Data, e.LinkName));
                }
            }
        }
        using var output = File.Create(path);
        using var writer = new TarWriter(output, TarEntryFormat.Ustar);
        foreach (var (type, name, data, link) in entries)
        {
            var entry = new UstarTarEntry(type, name);
            if (data is not null)
            {
                entry.DataStream = new MemoryStream(data);
            }
            if (!string.IsNullOrEmpty(link))
            {
                entry.LinkName = link;
            }
            writer.WriteEntry(entry);
        }
        foreach (var e in extra ?? [])
        {
            writer.WriteEntry(e);
        }
    }
}
