using Strata.Engine.Containers;
using Strata.Images;
using Strata.Images.Store;
using Strata.Linux;

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
        var image = TestImages.WriteBusybox(images, ImageRef);
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
        TestImages.WriteBusybox(images, ImageRef);
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
        TestImages.WriteBusybox(images, ImageRef);
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
}
