namespace Strata.Images.Tests;

public sealed class ImageNameTests
{
    [Theory]
    [InlineData("busybox", "docker.io/library/busybox:latest")]
    [InlineData("busybox:1.36", "docker.io/library/busybox:1.36")]
    [InlineData("user/app", "docker.io/user/app:latest")]
    [InlineData("index.docker.io/library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("localhost/app", "localhost/app:latest")]
    [InlineData("localhost:5000/a/b/c:v1", "localhost:5000/a/b/c:v1")]
    [InlineData("127.0.0.1:5000/busybox:1", "127.0.0.1:5000/busybox:1")]
    [InlineData("quay.io/ns/repo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "quay.io/ns/repo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("quay.io/ns/repo:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "quay.io/ns/repo:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Parse_ValidReference_Normalizes(string input, string expected)
    {
        Assert.Equal(expected, ImageName.Parse(input).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("Busybox")]
    [InlineData("busybox:")]
    [InlineData("busybox:-bad")]
    [InlineData("bad//name")]
    [InlineData("repo@sha256:short")]
    [InlineData("host:99999/repo")]
    [InlineData("a/b_/c")]
    public void Parse_MalformedReference_Throws(string input)
    {
        Assert.Throws<FormatException>(() => ImageName.Parse(input));
    }

    [Fact]
    public void Parse_DockerHub_UsesRegistry1ForApiAndFamiliarName()
    {
        var name = ImageName.Parse("busybox");
        Assert.Equal("registry-1.docker.io", name.ApiHost);
        Assert.Equal("busybox", name.FamiliarRepository);
        Assert.Equal("latest", name.ManifestReference);
    }
}
