using System.Text.Json;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Integration;

/// <summary>
/// `strata save` / `strata load` through the command, against skopeo and podman: each reads what the
/// other writes, with digests compared byte for byte.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class ArchiveInteropTests : IDisposable
{
    private const string Podman = "/usr/bin/podman";
    private readonly RegistryFixture _registry;
    private readonly TempDir _temp = new();

    public ArchiveInteropTests(RegistryFixture registry) => _registry = registry;

    public void Dispose() => _temp.Dispose();

    private Tool.Result Strata(string root, params string[] args) =>
        Tool.Exec("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "strata.dll"), "--root", _temp.Combine(root), "--tls-verify=false", "--authfile", _temp.Combine("auth.json"), .. args],
            new Dictionary<string, string> { ["HOME"] = _temp.Path });

    private static void AssertOk(Tool.Result r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\nstdout: {r.Stdout}\nstderr: {r.Stderr}");

    private Digest RegistryDigest(string image) =>
        Digest.Compute(System.Text.Encoding.UTF8.GetBytes(Tool.Run("skopeo", "inspect", "--tls-verify=false", "--raw", $"docker://{image}")));

    private Digest RegistryConfig(string image) =>
        JsonSerializer.Deserialize(Tool.Run("skopeo", "inspect", "--tls-verify=false", "--raw", $"docker://{image}"), ImageJsonContext.Default.Manifest)!.Config!.Digest;

    private List<JsonElement> Images(string root) => StrataCli.JsonLines(Strata(root, StrataCli.ImagesJson));

    [Theory]
    [InlineData("oci-archive")]
    [InlineData("docker-archive")]
    public void SaveLoad_ThroughCommand_DigestsEqual(string format)
    {
        AssertOk(Strata("a", "pull", "-q", _registry.OpenImage));
        var archive = _temp.Combine("saved.tar");
        AssertOk(Strata("a", "save", "--format", format, "-o", archive, _registry.OpenImage));
        var load = Strata("b", "load", "-i", archive);
        AssertOk(load);
        Assert.Contains($"Loaded image: {_registry.OpenImage}", load.Stdout, StringComparison.Ordinal);
        var before = Images("a")[0];
        var after = Images("b")[0];
        Assert.Equal(before.GetProperty("ID").GetString(), after.GetProperty("ID").GetString());
        if (format == "oci-archive")
        {
            Assert.Equal(before.GetProperty("Digest").GetString(), after.GetProperty("Digest").GetString());
        }
    }

    [Fact]
    public void SaveLoad_StdoutToStdin_Works()
    {
        AssertOk(Strata("a", "pull", "-q", _registry.OpenImage));
        var archive = _temp.Combine("piped.tar");
        var strata = $"dotnet {Path.Combine(AppContext.BaseDirectory, "strata.dll")}";
        var sh = Tool.Exec("/bin/sh", ["-c",
            $"{strata} --root {_temp.Combine("a")} save --format oci-archive {_registry.OpenImage} > {archive} && {strata} --root {_temp.Combine("b")} load < {archive}"], null);
        AssertOk(sh);
        Assert.Equal(Images("a")[0].GetProperty("Digest").GetString(), Images("b")[0].GetProperty("Digest").GetString());
    }

    [Fact]
    public void Save_OciDir_SkopeoCopiesItToRegistryWithSameDigest()
    {
        AssertOk(Strata("a", "pull", "-q", _registry.OpenImage));
        var dir = _temp.Combine("layout");
        AssertOk(Strata("a", "save", "--format", "oci-dir", "-o", dir, _registry.OpenImage));
        var copied = $"{_registry.OpenHost}/from-strata/oci-dir:1";
        Tool.Run("skopeo", "copy", "--dest-tls-verify=false", $"oci:{dir}:{RegistryFixture.Tag}", $"docker://{copied}");
        Assert.Equal(RegistryDigest(_registry.OpenImage), RegistryDigest(copied));
    }

    [Fact]
    public void Save_OciArchiveAndDockerArchive_SkopeoReadsThem()
    {
        AssertOk(Strata("a", "pull", "-q", _registry.OpenImage));
        var oci = _temp.Combine("oci.tar");
        var docker = _temp.Combine("docker.tar");
        AssertOk(Strata("a", "save", "--format", "oci-archive", "-o", oci, _registry.OpenImage));
        AssertOk(Strata("a", "save", "-o", docker, _registry.OpenImage));

        var fromOci = $"{_registry.OpenHost}/from-strata/oci-archive:1";
        Tool.Run("skopeo", "copy", "--dest-tls-verify=false", $"oci-archive:{oci}:{RegistryFixture.Tag}", $"docker://{fromOci}");
        Assert.Equal(RegistryDigest(_registry.OpenImage), RegistryDigest(fromOci));

        // A docker archive keeps the image ID (config digest); skopeo compresses the layers anew on the way out.
        var fromDocker = $"{_registry.OpenHost}/from-strata/docker-archive:1";
        Tool.Run("skopeo", "copy", "--dest-tls-verify=false", $"docker-archive:{docker}", $"docker://{fromDocker}");
        Assert.Equal(RegistryConfig(_registry.OpenImage), RegistryConfig(fromDocker));
        using var manifest = JsonDocument.Parse(Tool.Run("tar", "-xOf", docker, "manifest.json"));
        Assert.Equal(_registry.OpenImage, manifest.RootElement[0].GetProperty("RepoTags")[0].GetString());
        // skopeo reads the name from the archive when asked for it.
        Tool.Run("skopeo", "inspect", $"docker-archive:{docker}:{_registry.OpenImage}");
    }

    [Fact]
    public void Load_SkopeoOciArchive_ManifestDigestEqual()
    {
        var archive = _temp.Combine("skopeo-oci.tar");
        Tool.Run("skopeo", "copy", "--src-tls-verify=false", $"docker://{_registry.OpenImage}", $"oci-archive:{archive}:{RegistryFixture.Tag}");
        var load = Strata("b", "load", "-i", archive);
        AssertOk(load);
        // skopeo writes only the tag as ref.name; like podman, Strata names it localhost/TAG.
        Assert.Contains($"Loaded image: localhost/{RegistryFixture.Tag}:latest", load.Stdout, StringComparison.Ordinal);
        var image = Images("b")[0];
        Assert.Equal(RegistryDigest(_registry.OpenImage).ToString(), image.GetProperty("Digest").GetString());
    }

    [Fact]
    public void Load_SkopeoDockerArchive_ImageIdEqualAndNamed()
    {
        var archive = _temp.Combine("skopeo-docker.tar");
        Tool.Run("skopeo", "copy", "--src-tls-verify=false", $"docker://{_registry.OpenImage}", $"docker-archive:{archive}:{_registry.OpenImage}");
        var load = Strata("b", "load", "-i", archive);
        AssertOk(load);
        var image = Images("b")[0];
        Assert.Equal(_registry.OpenImage, StrataCli.Name(image));
        Assert.Equal(RegistryConfig(_registry.OpenImage).ToString(), image.GetProperty("ID").GetString());

        // What was loaded pushes and pulls like any image.
        var pushed = $"{_registry.OpenHost}/from-archive/busybox:1";
        AssertOk(Strata("b", "push", _registry.OpenImage, pushed));
        Assert.Equal(RegistryConfig(_registry.OpenImage), RegistryConfig(pushed));
    }

    [Theory]
    [InlineData("oci-archive")]
    [InlineData("docker-archive")]
    public void Save_PodmanLoadsIt(string format)
    {
        if (!File.Exists(Podman))
        {
            Assert.Fail($"{Podman} is missing: apt-get install -y podman");
        }
        AssertOk(Strata("a", "pull", "-q", _registry.OpenImage));
        var archive = _temp.Combine("for-podman.tar");
        AssertOk(Strata("a", "save", "--format", format, "-o", archive, _registry.OpenImage));

        // A private podman store (vfs: no mounts to clean up) and an empty containers.conf so the host's settings do not matter.
        var conf = _temp.Combine("containers.conf");
        File.WriteAllText(conf, "");
        var env = new Dictionary<string, string> { ["CONTAINERS_CONF"] = conf, ["HOME"] = _temp.Path };
        string[] podman = ["--root", _temp.Combine("podman-root"), "--runroot", _temp.Combine("podman-run"), "--storage-driver", "vfs"];
        var load = Tool.Exec(Podman, [.. podman, "load", "-i", archive], env);
        AssertOk(load);
        Assert.Contains($"Loaded image: {_registry.OpenImage}", load.Stdout + load.Stderr, StringComparison.Ordinal);
        var images = Tool.Exec(Podman, [.. podman, "images", "--format", "json"], env);
        AssertOk(images);
        var image = JsonDocument.Parse(images.Stdout).RootElement[0];
        Assert.Equal(RegistryConfig(_registry.OpenImage).Encoded, image.GetProperty("Id").GetString());
        Assert.Contains(_registry.OpenImage, image.GetProperty("Names").EnumerateArray().Select(n => n.GetString()));
        if (format == "oci-archive")
        {
            Assert.Equal(RegistryDigest(_registry.OpenImage).ToString(), image.GetProperty("Digest").GetString());
        }
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("truncated")]
    [InlineData("wrong-digest")]
    public void Load_CorruptArchive_ClearErrorStoreUnchanged(string damage)
    {
        AssertOk(Strata("a", "pull", "-q", _registry.OpenImage));
        var archive = _temp.Combine("damaged.tar");
        AssertOk(Strata("a", "save", "--format", "oci-archive", "-o", archive, _registry.OpenImage));
        var config = RegistryConfig(_registry.OpenImage);
        switch (damage)
        {
            case "truncated":
                var bytes = File.ReadAllBytes(archive);
                File.WriteAllBytes(archive, bytes[..(bytes.Length * 2 / 3)]);
                break;
            case "wrong-digest":
                Archive.TestImages.Rewrite(archive, (name, data) => name.EndsWith(config.Encoded, StringComparison.Ordinal)
                    ? (name, System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(data!).Replace("/bin/sh", "/bin/xx", StringComparison.Ordinal)))
                    : (name, data));
                break;
            default:
                Archive.TestImages.Rewrite(archive, (name, data) => (name, data),
                    [new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, damage) { DataStream = new MemoryStream([1]) }]);
                break;
        }
        AssertOk(Strata("b", "images"));
        var before = Directory.GetFileSystemEntries(_temp.Combine("b"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

        var load = Strata("b", "load", "-i", archive);
        Assert.Equal(1, load.ExitCode);
        Assert.StartsWith("Error response from daemon: ", load.Stderr, StringComparison.Ordinal);
        Assert.Contains(damage switch { "truncated" => "truncated", "wrong-digest" => config.ToString(), _ => "'../evil'" }, load.Stderr, StringComparison.Ordinal);
        Assert.Empty(Images("b"));
        var after = Directory.GetFileSystemEntries(_temp.Combine("b"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Where(p => !p.EndsWith("-wal", StringComparison.Ordinal) && !p.EndsWith("-shm", StringComparison.Ordinal)).ToList();
        Assert.Equal(before.Where(p => !p.EndsWith("-wal", StringComparison.Ordinal) && !p.EndsWith("-shm", StringComparison.Ordinal)), after);
        Assert.False(File.Exists(_temp.Combine("evil")));
    }
}
