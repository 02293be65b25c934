using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Strata.Engine.Containers;
using Strata.Images;
using Strata.Images.Store;
using Strata.Linux;
using Strata.Oci.Image;

namespace Strata.Engine.Tests.Containers;

/// <summary>
/// Containers run by strata-runtime from an image written into a fresh store (the host's static busybox as
/// its only layer): what the engine records, and the lease that keeps the image while a container exists.
/// </summary>
public sealed class ContainerServiceTests : IDisposable
{
    private const string ImageRef = "docker.io/library/engine-test:1";

    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string RequireRuntime()
    {
        Skip.If(Sys.EffectiveUserId != 0, "running a container needs root");
        Skip.IfNot(File.Exists("/bin/busybox"), "the image is made of the host's /bin/busybox");
        var runtime = ContainerService.FindRuntime();
        Skip.If(runtime is null || !File.Exists(runtime), "strata-runtime not found: publish it to artifacts/bin or set STRATA_RUNTIME");
        return runtime!;
    }

    [SkippableFact]
    public async Task Run_Named_RecordedExitedAndImageLeasedUntilRemoved()
    {
        var runtime = RequireRuntime();
        using var images = new ImageService(new ImageServiceOptions { Root = _temp.Combine("root") });
        var image = WriteBusyboxImage(images);
        using var service = new ContainerService(images, runtime);

        var exit = await service.RunAsync(new RunOptions { Image = ImageRef, Name = "keeper", Command = ["sh", "-c", "exit 7"] });

        Assert.Equal(7, exit);
        var container = Assert.Single(service.List());
        Assert.Equal(("keeper", ContainerState.Exited, 7), (container.Name, container.State, container.ExitCode));
        Assert.Empty(service.List(all: false));
        Assert.Equal(new ImageLease(container.LeaseId, image.Manifest, "container keeper"), Assert.Single(images.Metadata.ListLeases()));
        var inUse = Assert.Throws<ImageException>(() => images.Remove(ImageRef));
        Assert.Contains("container keeper", inUse.Message, StringComparison.Ordinal);

        Assert.Equal(container.Id, service.Remove("keeper", force: false).Id);

        Assert.Empty(service.List());
        Assert.Empty(images.Metadata.ListLeases());
        Assert.False(Directory.Exists(_temp.Combine("root", "containers", container.Id)));
        Assert.Equal([ImageRef], images.Remove(ImageRef));
        Assert.Contains(image.Manifest, images.Prune().Blobs);
    }

    [SkippableFact]
    public async Task Run_Remove_LeavesNoContainerAndNoLease()
    {
        var runtime = RequireRuntime();
        using var images = new ImageService(new ImageServiceOptions { Root = _temp.Combine("root") });
        WriteBusyboxImage(images);
        using var service = new ContainerService(images, runtime);

        var exit = await service.RunAsync(new RunOptions { Image = ImageRef, Remove = true, Command = ["true"] });

        Assert.Equal(0, exit);
        Assert.Empty(service.List());
        Assert.Empty(images.Metadata.ListLeases());
    }

    [SkippableFact]
    public async Task Run_NameInUse_RefusedWithoutALeaseOrDirectoryLeftBehind()
    {
        var runtime = RequireRuntime();
        using var images = new ImageService(new ImageServiceOptions { Root = _temp.Combine("root") });
        WriteBusyboxImage(images);
        using var service = new ContainerService(images, runtime);
        await service.RunAsync(new RunOptions { Image = ImageRef, Name = "web", Command = ["true"] });

        var e = await Assert.ThrowsAsync<EngineException>(() => service.RunAsync(new RunOptions { Image = ImageRef, Name = "web", Command = ["true"] }));

        Assert.Equal(EngineErrorCode.NameInUse, e.Code);
        var kept = Assert.Single(service.List());
        Assert.Equal(kept.LeaseId, Assert.Single(images.Metadata.ListLeases()).Id);
        Assert.Equal([kept.Id], Directory.GetDirectories(_temp.Combine("root", "containers")).Select(Path.GetFileName));
    }

    [Fact]
    public void Remove_Unknown_ContainerNotFound()
    {
        using var images = new ImageService(new ImageServiceOptions { Root = _temp.Combine("root") });
        using var service = new ContainerService(images, "strata-runtime");

        Assert.Equal(EngineErrorCode.ContainerNotFound, Assert.Throws<EngineException>(() => service.Remove("nothing", force: false)).Code);
    }

    /// <summary>One gzip layer (busybox, sh, the directories the runtime mounts on), an OCI manifest and config.</summary>
    private static ImageRecord WriteBusyboxImage(ImageService images)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var dir in new[] { "bin", "proc", "sys", "dev", "tmp", "etc" })
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir) { Mode = (UnixFileMode)0b111_101_101 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox") { Mode = (UnixFileMode)0b111_101_101, DataStream = File.OpenRead("/bin/busybox") });
            foreach (var applet in new[] { "sh", "true" })
                writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox", Mode = (UnixFileMode)0b111_111_111 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/passwd") { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream("root:x:0:0:root:/:/bin/sh\n"u8.ToArray()) });
        }
        var layer = new MemoryStream();
        using (var gzip = new GZipStream(layer, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(tar.ToArray());
        var layerBytes = layer.ToArray();
        var layerDigest = Digest.Compute(layerBytes);
        images.Content.Write(layerDigest, layerBytes);
        var config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"{{{ImageService.HostArchitecture}}}","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["{{{Digest.Compute(tar.ToArray())}}}"]}}""");
        var configDigest = Digest.Compute(config);
        images.Content.Write(configDigest, config);
        var manifest = Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","config":{"mediaType":"{{{MediaTypes.OciConfig}}}","digest":"{{{configDigest}}}","size":{{{config.Length}}}},"layers":[{"mediaType":"{{{MediaTypes.OciLayerGzip}}}","digest":"{{{layerDigest}}}","size":{{{layerBytes.Length}}}}]}""");
        var manifestDigest = Digest.Compute(manifest);
        images.Content.Write(manifestDigest, manifest);
        var record = new ImageRecord(ImageRef, manifestDigest, MediaTypes.OciManifest, manifestDigest, configDigest, config.Length + layerBytes.Length, null, DateTimeOffset.UnixEpoch);
        images.Metadata.PutImage(record);
        return record;
    }
}
