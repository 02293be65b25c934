using Strata.Oci.Runtime;

namespace Strata.Oci.Tests;

public class SpecLoaderTests
{
    private const string Minimal = """{"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"}}""";

    [Fact]
    public void Parse_MinimalConfig_ReadsFields()
    {
        var spec = SpecLoader.Parse(System.Text.Encoding.UTF8.GetBytes(Minimal));
        SpecValidator.Validate(spec);
        Assert.Equal("1.2.0", spec.OciVersion);
        Assert.Equal("rootfs", spec.Root!.Path);
        Assert.Equal(["sh"], spec.Process!.Args!);
    }

    [Fact]
    public void Parse_WrongFieldType_NamesThePath()
    {
        var json = """{"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["sh"],"user":{"uid":"zero"}}}""";
        var e = Assert.Throws<SpecException>(() => SpecLoader.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Contains("$.process.user.uid", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingOciVersion_Rejected()
    {
        var spec = SpecLoader.Parse("""{"root":{"path":"rootfs"}}"""u8);
        var e = Assert.Throws<SpecException>(() => SpecValidator.Validate(spec));
        Assert.Contains("ociVersion", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownNamespace_NamesTheType()
    {
        var spec = SpecLoader.Parse("""{"ociVersion":"1.2.0","root":{"path":"r"},"linux":{"namespaces":[{"type":"pid"},{"type":"bogus"}]}}"""u8);
        var e = Assert.Throws<SpecException>(() => SpecValidator.Validate(spec));
        Assert.Contains("\"bogus\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("linux.namespaces[1].type", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"ociVersion":"1.2.0","root":{"path":"r"},"mounts":[{"destination":"relative","type":"tmpfs"}]}""", "mounts[0].destination")]
    [InlineData("""{"ociVersion":"1.2.0","root":{"path":"r"},"mounts":[{"destination":"/a/../b","type":"tmpfs"}]}""", "contains '..'")]
    [InlineData("""{"ociVersion":"1.2.0","root":{"path":"r"},"process":{"args":["x"],"cwd":"tmp"}}""", "process.cwd")]
    [InlineData("""{"ociVersion":"1.2.0","root":{"path":"r"},"process":{"args":[]}}""", "process.args")]
    [InlineData("""{"ociVersion":"1.2.0","root":{"path":"r"},"process":{"args":["x"],"rlimits":[{"type":"RLIMIT_BOGUS","hard":1,"soft":1}]}}""", "RLIMIT_BOGUS")]
    [InlineData("""{"ociVersion":"1.2.0","root":{"path":"r"},"process":{"args":["x"],"rlimits":[{"type":"RLIMIT_NOFILE","hard":1,"soft":2}]}}""", "exceeds hard")]
    [InlineData("""{"ociVersion":"1.2.0"}""", "root.path")]
    [InlineData("""{"ociVersion":"2.0.0","root":{"path":"r"}}""", "unsupported version")]
    [InlineData("""{"ociVersion":"1.2.0","root":{"path":"r"},"linux":{"maskedPaths":["proc/kcore"]}}""", "linux.maskedPaths[0]")]
    [InlineData("""{"ociVersion":"1.2.0","root":{"path":"r"},"linux":{"devices":[{"path":"/dev/x","type":"z","major":1,"minor":1}]}}""", "linux.devices[0].type")]
    [InlineData("""{"ociVersion":"1.2.0","root":{"path":"r"},"linux":{"resources":{"memory":{"limit":100000000,"swap":1000}}}}""", "memory.swap")]
    [InlineData("""{"ociVersion":"1.2.0","root":{"path":"r"},"linux":{"rootfsPropagation":"sideways"}}""", "rootfsPropagation")]
    public void Validate_BadField_ErrorNamesField(string json, string expected)
    {
        var spec = SpecLoader.Parse(System.Text.Encoding.UTF8.GetBytes(json));
        var e = Assert.Throws<SpecException>(() => SpecValidator.Validate(spec));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TruncatedJson_ReportsMalformed()
    {
        var e = Assert.Throws<SpecException>(() => SpecLoader.Parse("""{"ociVersion":"1.2.0","root":"""u8));
        Assert.Contains("malformed JSON", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_UnknownFields_ArePreserved()
    {
        var spec = SpecLoader.Parse("""{"ociVersion":"1.2.0","root":{"path":"r"},"vm":{"hypervisor":{"path":"/x"}}}"""u8);
        var json = SpecLoader.Serialize(spec);
        Assert.Contains("hypervisor", json, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFromBundle_MissingConfig_SaysSo()
    {
        var dir = Directory.CreateTempSubdirectory("strata-oci-").FullName;
        try
        {
            var e = Assert.Throws<SpecException>(() => SpecLoader.LoadFromBundle(dir));
            Assert.Contains("config.json not found", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
