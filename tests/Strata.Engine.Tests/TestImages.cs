using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Strata.Images;
using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Engine.Tests;

/// <summary>Images written straight into a store: one gzip layer, an OCI manifest and config. Linked into Strata.Engine.Api.Tests too.</summary>
internal static class TestImages
{
    /// <summary>A layer of one file, /etc/hello; the config names <paramref name="name"/> in a label.</summary>
    public static ImageRecord WriteSmall(ImageService images, string name) =>
        Write(images, name, null, writer =>
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "etc") { Mode = (UnixFileMode)0b111_101_101 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/hello") { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(name)) });
        });

    /// <summary>The host's static busybox with sh and true, and the directories the runtime mounts on.</summary>
    /// <param name="extraConfig">More of the image's config object, as JSON members (e.g. a Healthcheck).</param>
    public static ImageRecord WriteBusybox(ImageService images, string name, string? extraConfig = null) =>
        Write(images, name, extraConfig, writer =>
        {
            foreach (var dir in new[] { "bin", "proc", "sys", "dev", "tmp", "etc" })
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir) { Mode = (UnixFileMode)0b111_101_101 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox") { Mode = (UnixFileMode)0b111_101_101, DataStream = File.OpenRead("/bin/busybox") });
            foreach (var applet in new[] { "sh", "true", "sleep", "echo", "cat" })
                writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox", Mode = (UnixFileMode)0b111_111_111 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/passwd") { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream("root:x:0:0:root:/:/bin/sh\n"u8.ToArray()) });
        });

    /// <summary>
    /// The host's static busybox with the given applets linked (<see cref="AllApplets"/> for a small userland:
    /// httpd, wget, nc, nslookup…), the directories the runtime mounts on, and a page in /var/www for httpd.
    /// </summary>
    public static ImageRecord WriteBusybox(ImageService images, string name, IEnumerable<string> applets) =>
        Write(images, name, null, writer =>
        {
            foreach (var dir in new[] { "bin", "proc", "sys", "dev", "tmp", "etc", "var", "var/www" })
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir) { Mode = (UnixFileMode)0b111_101_101 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox") { Mode = (UnixFileMode)0b111_101_101, DataStream = File.OpenRead("/bin/busybox") });
            foreach (var applet in applets.Where(a => a != "busybox"))
                writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox", Mode = (UnixFileMode)0b111_111_111 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/passwd") { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream("root:x:0:0:root:/:/bin/sh\n"u8.ToArray()) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "var/www/index.html") { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream("hello from strata\n"u8.ToArray()) });
        });

    /// <summary>Every applet the host's busybox has (`busybox --list`).</summary>
    public static IReadOnlyList<string> AllApplets()
    {
        var info = new System.Diagnostics.ProcessStartInfo("/bin/busybox", "--list") { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(info)!;
        var list = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        return list;
    }

    private static ImageRecord Write(ImageService images, string name, string? extraConfig, Action<TarWriter> layerContent)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            layerContent(writer);
        }
        var layer = new MemoryStream();
        using (var gzip = new GZipStream(layer, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(tar.ToArray());
        var layerBytes = layer.ToArray();
        var layerDigest = Digest.Compute(layerBytes);
        images.Content.Write(layerDigest, layerBytes);
        var config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"{{{ImageService.HostArchitecture}}}","os":"linux","created":"2026-01-02T03:04:05Z","config":{"Cmd":["sh"],"Labels":{"name":"{{{name}}}"}{{{(extraConfig is null ? "" : "," + extraConfig)}}}},"rootfs":{"type":"layers","diff_ids":["{{{Digest.Compute(tar.ToArray())}}}"]}}""");
        var configDigest = Digest.Compute(config);
        images.Content.Write(configDigest, config);
        var manifest = Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","config":{"mediaType":"{{{MediaTypes.OciConfig}}}","digest":"{{{configDigest}}}","size":{{{config.Length}}}},"layers":[{"mediaType":"{{{MediaTypes.OciLayerGzip}}}","digest":"{{{layerDigest}}}","size":{{{layerBytes.Length}}}}]}""");
        var manifestDigest = Digest.Compute(manifest);
        images.Content.Write(manifestDigest, manifest);
        var record = new ImageRecord(ImageName.Parse(name).ToString(), manifestDigest, MediaTypes.OciManifest, manifestDigest, configDigest,
            config.Length + layerBytes.Length, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), DateTimeOffset.UnixEpoch);
        images.Metadata.PutImage(record);
        return record;
    }
}
