using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Integration;

/// <summary>
/// A runnable image with a large layer, written straight into a store: the fixture's busybox layer, then a
/// gzip layer holding /big.bin of random bytes (so it does not compress), Cmd ["/bin/sh"]. Pushed from
/// there to a registry it is the image to pull in tests that need a pull to take a while or to fill a disk.
/// </summary>
internal sealed record LargeImage(ImageRecord Record, Descriptor BusyboxLayer, Descriptor BigLayer, byte[] BigContent)
{
    public static LargeImage Create(ImageService store, string busyboxLayout, string name, int bigBytes)
    {
        var (busyboxLayer, busyboxDiffId) = CopyBusyboxLayer(store, busyboxLayout);

        var big = RandomNumberGenerator.GetBytes(bigBytes);
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "big.bin")
            {
                Mode = (UnixFileMode)0b110_100_100,
                ModificationTime = LayerBuilder.Mtime,
                DataStream = new MemoryStream(big),
            });
        }
        var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        {
            tar.Position = 0;
            tar.CopyTo(zip);
        }
        var layerBytes = gz.ToArray();
        var bigLayer = new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Compute(layerBytes), Size = layerBytes.Length };
        store.Content.Write(bigLayer.Digest, layerBytes);
        var bigDiffId = Digest.Compute(tar.ToArray());

        var config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"{{{ImageService.HostArchitecture}}}","os":"linux","config":{"Cmd":["/bin/sh"],"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["{{{busyboxDiffId}}}","{{{bigDiffId}}}"]}}""");
        var configDigest = Digest.Compute(config);
        store.Content.Write(configDigest, config);
        var manifest = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{MediaTypes.OciManifest}}","config":{"mediaType":"{{MediaTypes.OciConfig}}","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[{{Json(busyboxLayer)}},{{Json(bigLayer)}}]}""");
        var manifestDigest = Digest.Compute(manifest);
        store.Content.Write(manifestDigest, manifest);
        var record = new ImageRecord(ImageName.Parse(name).ToString(), manifestDigest, MediaTypes.OciManifest, manifestDigest, configDigest,
            config.Length + busyboxLayer.Size + bigLayer.Size, null, DateTimeOffset.UnixEpoch);
        store.Metadata.PutImage(record);
        return new LargeImage(record, busyboxLayer, bigLayer, big);
    }

    private static string Json(Descriptor d) => $$"""{"mediaType":"{{d.MediaType}}","digest":"{{d.Digest}}","size":{{d.Size}}}""";

    /// <summary>The single layer of the OCI layout's only image, copied into the store, with its DiffID.</summary>
    private static (Descriptor Layer, Digest DiffId) CopyBusyboxLayer(ImageService store, string layout)
    {
        byte[] Blob(Digest d) => File.ReadAllBytes(Path.Combine(layout, "blobs", d.Algorithm, d.Encoded));
        var index = JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(layout, "index.json")), ImageJsonContext.Default.ImageIndex)!;
        var manifest = ImageService.ParseManifest(Blob(index.Manifests![0].Digest), layout);
        var config = ImageService.ParseConfig(Blob(manifest.Config!.Digest), layout);
        var layer = Assert.Single(manifest.Layers!);
        store.Content.Write(layer.Digest, Blob(layer.Digest));
        return (new Descriptor { MediaType = layer.MediaType, Digest = layer.Digest, Size = layer.Size }, config.RootFs.DiffIds[0]);
    }
}
