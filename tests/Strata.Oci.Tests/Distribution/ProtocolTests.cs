using System.Text;
using Strata.Oci.Distribution;
using Strata.Oci.Image;

namespace Strata.Oci.Tests.Distribution;

public class ProtocolTests
{
    [Fact]
    public void ErrorCodes_RegisteredOnceEach_FoundByCode()
    {
        Assert.Equal(15, ErrorCode.All.Count);
        Assert.Equal(ErrorCode.All.Count, ErrorCode.All.Select(c => c.Code).Distinct().Count());
        Assert.True(ErrorCode.TryFind("MANIFEST_UNKNOWN", out var found));
        Assert.Same(ErrorCode.ManifestUnknown, found);
        Assert.Equal(404, found.Status);
        Assert.False(ErrorCode.TryFind("manifest_unknown", out _));
        Assert.False(ErrorCode.TryFind(null, out _));
    }

    [Theory]
    [InlineData("BLOB_UNKNOWN", 404)]
    [InlineData("BLOB_UPLOAD_INVALID", 400)]
    [InlineData("BLOB_UPLOAD_UNKNOWN", 404)]
    [InlineData("DIGEST_INVALID", 400)]
    [InlineData("MANIFEST_BLOB_UNKNOWN", 400)]
    [InlineData("MANIFEST_INVALID", 400)]
    [InlineData("NAME_INVALID", 400)]
    [InlineData("NAME_UNKNOWN", 404)]
    [InlineData("SIZE_INVALID", 400)]
    [InlineData("UNAUTHORIZED", 401)]
    [InlineData("DENIED", 403)]
    [InlineData("UNSUPPORTED", 405)]
    [InlineData("TOOMANYREQUESTS", 429)]
    public void ErrorCodes_HaveTheSpecsStatus(string code, int status)
    {
        Assert.True(ErrorCode.TryFind(code, out var found));
        Assert.Equal(status, found.Status);
    }

    [Fact]
    public void ErrorBody_Written_InTheSpecsShape()
    {
        Assert.Equal(
            """{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:ab"}]}""",
            Encoding.UTF8.GetString(ErrorBody.From(ErrorCode.BlobUnknown, "sha256:ab").ToUtf8Bytes()));
        Assert.Equal(
            """{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}""",
            Encoding.UTF8.GetString(ErrorBody.From(ErrorCode.Denied).ToUtf8Bytes()));
    }

    [Fact]
    public void ErrorBody_DetailOfAnyJsonType_ReadAsText()
    {
        var body = ErrorBody.TryParse("""{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Name":"a/b","Action":"pull"}]}]}"""u8);
        var entry = Assert.Single(body!.Errors);
        Assert.Equal("UNAUTHORIZED", entry.Code);
        Assert.Equal("""[{"Type":"repository","Name":"a/b","Action":"pull"}]""", entry.Detail);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("""{"message":"no errors array"}""")]
    [InlineData("""{"errors":"a string"}""")]
    public void ErrorBody_NotAnErrorBody_Null(string json) =>
        Assert.Null(ErrorBody.TryParse(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void ErrorBody_InvalidUtf8InAString_Null() =>
        Assert.Null(ErrorBody.TryParse([.. "{\"errors\":[{\"code\":\""u8, 0xC3, 0x28, .. "\"}]}"u8]));

    [Theory]
    [InlineData("0-1023", 0, 1023)]
    [InlineData("1024-2047", 1024, 2047)]
    [InlineData("bytes=0-1023", 0, 1023)]
    [InlineData("bytes 5-9/10", 5, 9)]
    [InlineData(" 0-0 ", 0, 0)]
    public void UploadRange_Parses(string value, long start, long end)
    {
        Assert.True(UploadRange.TryParse(value, out var s, out var e));
        Assert.Equal((start, end), (s, e));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-5")]
    [InlineData("5-")]
    [InlineData("9-5")]
    [InlineData("a-b")]
    [InlineData("+1-2")]
    public void UploadRange_Malformed_False(string? value) =>
        Assert.False(UploadRange.TryParse(value, out _, out _));

    [Fact]
    public void UploadRange_Formats()
    {
        Assert.Equal("0-1023", UploadRange.Format(0, 1023));
        Assert.Equal("0-0", UploadRange.Received(0));
        Assert.Equal("0-0", UploadRange.Received(1));
        Assert.Equal("0-99", UploadRange.Received(100));
    }

    [Fact]
    public void Paths_AreTheSpecsEndpoints()
    {
        var digest = Digest.Compute("x"u8);
        Assert.Equal($"/v2/a/b/blobs/{digest}", DistributionPaths.Blob("a/b", digest));
        Assert.Equal("/v2/a/b/manifests/latest", DistributionPaths.Manifest("a/b", "latest"));
        Assert.Equal("/v2/a/b/blobs/uploads/", DistributionPaths.UploadStart("a/b"));
        Assert.Equal("/v2/a/b/blobs/uploads/id1", DistributionPaths.Upload("a/b", "id1"));
        Assert.Equal("/v2/a/b/tags/list", DistributionPaths.Tags("a/b"));
        Assert.Equal($"?mount=sha256%3A{digest.Encoded}&from=c%2Fd", DistributionPaths.MountQuery(digest, "c/d"));
    }
}
