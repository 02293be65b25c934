using System.Text.Json;
using Strata.Linux;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Integration;

/// <summary>An image whose layer skopeo recompressed to zstd, pulled from the CNCF registry, unpacked and run.</summary>
[Collection(RegistryCollection.Name)]
public sealed class ZstdPullTests : IDisposable
{
    private readonly RegistryFixture _registry;
    private readonly TempDir _temp = new();
    private readonly StrataCli _strata;

    public ZstdPullTests(RegistryFixture registry)
    {
        _registry = registry;
        _strata = new StrataCli(_temp.Combine("root"), _temp.Path);
    }

    // TempDir unmounts what a test that failed mid-run left mounted under it.
    public void Dispose() => _temp.Dispose();

    [SkippableFact]
    public void Pull_ZstdLayersPushedBySkopeo_UnpacksAndRuns()
    {
        var image = $"{_registry.OpenHost}/zstd/busybox:1";
        // Recompressed into a fresh layout first: copied straight to the registry, skopeo would reuse the
        // gzip layer the fixture already pushed there instead of recompressing it.
        var zstdLayout = _temp.Combine("zstd-layout");
        Tool.Run("skopeo", "copy", "--dest-compress-format", "zstd", $"oci:{_registry.Layout}:{RegistryFixture.Tag}", $"oci:{zstdLayout}:1");
        Tool.Run("skopeo", "copy", "--dest-tls-verify=false", $"oci:{zstdLayout}:1", $"docker://{image}");
        var raw = System.Text.Encoding.UTF8.GetBytes(Tool.Run("skopeo", "inspect", "--tls-verify=false", "--raw", $"docker://{image}"));
        var manifest = JsonSerializer.Deserialize(raw, ImageJsonContext.Default.Manifest)!;
        var layer = Assert.Single(manifest.Layers!);
        Assert.Equal(MediaTypes.OciLayerZstd, layer.MediaType);

        StrataCli.AssertOk(_strata.Run("pull", image));
        var stored = File.ReadAllBytes(Path.Combine(_strata.Root, "blobs", "sha256", layer.Digest.Encoded));
        Assert.Equal(layer.Digest, Digest.Compute(stored));
        Assert.Equal([0x28, 0xB5, 0x2F, 0xFD], stored[..4]); // the zstd frame magic: the registry served what skopeo pushed

        // Unpacking checks the DiffID the config lists against the decompressed tar.
        var unpacked = _temp.Combine("unpacked");
        StrataCli.AssertOk(_strata.Run("image", "unpack", image, unpacked));
        Assert.Equal(File.ReadAllBytes("/bin/busybox"), File.ReadAllBytes(Path.Combine(unpacked, "rootfs", "bin", "busybox")));

        Skip.IfNot(Sys.EffectiveUserId == 0, "running needs root: overlay mounts and the runtime");
        var run = _strata.Run("run", "--rm", image, "sh", "-c", "echo zstd layer ran");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stdout} {run.Stderr}");
        Assert.Equal("zstd layer ran\n", run.Stdout);
    }
}
