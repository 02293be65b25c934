using Strata.Engine.Containers;
using Strata.Engine.Store;
using Strata.Images;
using Strata.Images.Store;
using Strata.Linux;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// One store's content, written before the daemon opens it: two images (one under two tags) and three
/// containers: one running (this test process stands in for its process, so it is alive), one exited with 3,
/// one created.
/// </summary>
internal sealed record Fixture(ImageRecord Alpha, ImageRecord Beta)
{
    public const string AlphaName = "docker.io/library/alpha:1.0";
    public const string BetaName = "example.com:5000/team/beta:latest";

    public static Fixture Write(string root)
    {
        using var images = new ImageService(new ImageServiceOptions { Root = root });
        var alpha = TestImages.WriteSmall(images, AlphaName);
        images.Tag(AlphaName, ImageName.Parse("alpha:latest"));
        var beta = TestImages.WriteSmall(images, BetaName);
        using var store = new ContainerStore(root);
        var self = ProcStat.TryRead(Environment.ProcessId)!.Value;
        var now = DateTimeOffset.UtcNow;
        store.Put(new EngineContainer(Id('a'), "web", AlphaName, alpha.Manifest, "sh -c serve", now.AddMinutes(-5), ContainerState.Running, null, Environment.ProcessId, self.StartTime, "copy"));
        store.Put(new EngineContainer(Id('b'), "job", BetaName, beta.Manifest, "sh -c 'exit 3'", now.AddMinutes(-3), ContainerState.Exited, 3, null, null, "copy"));
        store.Put(new EngineContainer(Id('c'), "idle", AlphaName, alpha.Manifest, "sh", now.AddMinutes(-1), ContainerState.Created, null, null, null, "copy"));
        return new Fixture(alpha, beta);
    }

    public static string Id(char c) => new(c, 64);
}
