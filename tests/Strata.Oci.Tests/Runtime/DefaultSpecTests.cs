using Strata.Oci.Runtime;

namespace Strata.Oci.Tests.Runtime;

public sealed class DefaultSpecTests
{
    private static string Golden(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Runtime", "Golden", name));

    // Golden/DefaultSpec*.json are what `strata-runtime spec` and `spec --rootless` (run as root) wrote.
    [Fact]
    public void Create_SerializedAsSpecWritesIt_MatchesGolden() =>
        Assert.Equal(Golden("DefaultSpec.json"), SpecLoader.Serialize(DefaultSpec.Create()) + "\n");

    [Fact]
    public void CreateRootless_Root_MatchesGolden() =>
        Assert.Equal(Golden("DefaultSpec.rootless-0-0.json"), SpecLoader.Serialize(DefaultSpec.CreateRootless(0, 0)) + "\n");

    [Fact]
    public void CreateRootless_MapsRootToTheGivenIds()
    {
        var linux = DefaultSpec.CreateRootless(1000, 1001).Linux!;

        Assert.Equal(1000U, Assert.Single(linux.UidMappings!).HostID);
        Assert.Equal(1001U, Assert.Single(linux.GidMappings!).HostID);
        Assert.Contains(linux.Namespaces!, n => n.Type == "user");
        Assert.DoesNotContain(linux.Namespaces!, n => n.Type == "network");
    }

    [Fact]
    public void Create_EachCallIsIndependent()
    {
        var a = DefaultSpec.Create();
        a.Mounts!.Clear();

        Assert.NotEmpty(DefaultSpec.Create().Mounts!);
    }
}
