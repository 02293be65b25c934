using System.Text;
using System.Text.Json;
using Strata.Oci.Image;

namespace Strata.Oci.Tests.Image;

public class DigestTests
{
    // sha256("hello") and sha512("hello"), from coreutils.
    private const string HelloSha256 = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    private const string HelloSha512 = "sha512:9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043";

    [Fact]
    public void Compute_Sha256_MatchesKnownValue() =>
        Assert.Equal(HelloSha256, Digest.Compute("hello"u8).ToString());

    [Fact]
    public void Compute_Sha512_MatchesKnownValue() =>
        Assert.Equal(HelloSha512, Digest.Compute("hello"u8, Digest.Sha512).ToString());

    [Fact]
    public async Task ComputeAsync_Stream_EqualsComputeOfBytes()
    {
        var bytes = new byte[300_000];
        new Random(7).NextBytes(bytes);
        using var stream = new MemoryStream(bytes);
        Assert.Equal(Digest.Compute(bytes), await Digest.ComputeAsync(stream));
    }

    [Fact]
    public void Compute_SameBytesTwice_IsReproducible() =>
        Assert.Equal(Digest.Compute("layer"u8), Digest.Compute(Encoding.UTF8.GetBytes("layer")));

    [Theory]
    [InlineData(HelloSha256, "sha256")]
    [InlineData(HelloSha512, "sha512")]
    public void Parse_Canonical_SplitsAlgorithmAndEncoded(string value, string algorithm)
    {
        var digest = Digest.Parse(value);
        Assert.Equal(algorithm, digest.Algorithm);
        Assert.Equal(value[(algorithm.Length + 1)..], digest.Encoded);
        Assert.Equal(value, digest.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha256")]
    [InlineData(":abc")]
    [InlineData("sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824")]
    [InlineData("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982")]
    [InlineData("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824a")]
    [InlineData("sha256:../../../../etc/passwd0000000000000000000000000000000000000000")]
    [InlineData("md5:5d41402abc4b2a76b9719d911017c592")]
    public void TryParse_Invalid_ReturnsFalseWithReason(string value)
    {
        Assert.False(Digest.TryParse(value, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Equality_ComparesValue()
    {
        Assert.Equal(Digest.Parse(HelloSha256), Digest.Compute("hello"u8));
        Assert.True(Digest.Parse(HelloSha256) != Digest.Compute("hell"u8));
        Assert.True(default(Digest).IsEmpty);
    }

    [Fact]
    public void Json_InvalidDigest_IsJsonError()
    {
        var json = """{"mediaType":"a/b","digest":"sha256:nothex","size":1}""";
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, ImageJsonContext.Default.Descriptor));
    }
}
