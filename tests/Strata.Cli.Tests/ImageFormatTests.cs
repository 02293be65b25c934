using Strata.Cli.Commands;
using Strata.Engine.Api.Types;

namespace Strata.Cli.Tests;

/// <summary>`strata images` and `strata history` rows, as the docker CLI's image and history formatters make them.</summary>
public sealed class ImageFormatTests
{
    private const string Id = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private static ImageSummary Image(string[] tags, string[] digests) => new()
    {
        Id = Id,
        RepoTags = tags,
        RepoDigests = digests,
        Created = Now.AddHours(-3).ToUnixTimeSeconds(),
        Size = 1_234_567,
    };

    private static List<string> Rows(ImageSummary image, bool digests, bool trunc = true) =>
        ImageCommands.ImageRows([image], Now, trunc, digests).Select(r => $"{r["Repository"]} {r["Tag"]} {r["Digest"]} {r["ID"]} {r["CreatedSince"]} {r["Size"]}").ToList();

    [Fact]
    public void ImageRows_TagsWithoutDigests_ARowPerTagDigestNone()
    {
        var image = Image(["app:1", "app:2", "127.0.0.1:5000/team/app:1"], ["app@sha256:aa", "127.0.0.1:5000/team/app@sha256:bb"]);

        Assert.Equal(
            ["app 1 <none> 0123456789ab 3 hours ago 1.23MB", "app 2 <none> 0123456789ab 3 hours ago 1.23MB", "127.0.0.1:5000/team/app 1 <none> 0123456789ab 3 hours ago 1.23MB"],
            Rows(image, digests: false));
    }

    [Fact]
    public void ImageRows_Digests_EachTagWithItsRepositorysDigests()
    {
        var image = Image(["app:1", "app:2"], ["app@sha256:aa", "app@sha256:cc"]);

        Assert.Equal(
            [
                "app 1 sha256:aa 0123456789ab 3 hours ago 1.23MB", "app 1 sha256:cc 0123456789ab 3 hours ago 1.23MB",
                "app 2 sha256:aa 0123456789ab 3 hours ago 1.23MB", "app 2 sha256:cc 0123456789ab 3 hours ago 1.23MB",
            ],
            Rows(image, digests: true));
    }

    [Fact]
    public void ImageRows_DigestOnlyRepositoryAndNoName_NoneWhereAPartIsMissing()
    {
        var digestOnly = Image([], ["other@sha256:dd"]);
        var nameless = Image([], []);

        Assert.Equal(["other <none> <none> 0123456789ab 3 hours ago 1.23MB"], Rows(digestOnly, digests: false));
        Assert.Equal(["other <none> sha256:dd 0123456789ab 3 hours ago 1.23MB"], Rows(digestOnly, digests: true));
        Assert.Equal([$"<none> <none> <none> {Id} 3 hours ago 1.23MB"], Rows(nameless, digests: false, trunc: false));
    }

    [Fact]
    public void HistoryRow_TruncatedAndHuman_AsDockerHistory()
    {
        var top = new HistoryItem { Id = Id, Created = Now.AddDays(-2).ToUnixTimeSeconds(), CreatedBy = "/bin/sh -c\t#(nop) ADD file:0123456789abcdef in / with more words", Size = 4_500_000, Comment = "buildkit" };
        var below = new HistoryItem { Id = "<missing>", Created = Now.AddDays(-2).ToUnixTimeSeconds(), CreatedBy = "CMD [\"sh\"]" };

        var human = ImageCommands.HistoryRow(top, Now, trunc: true, human: true);
        var raw = ImageCommands.HistoryRow(below, Now, trunc: false, human: false);

        Assert.Equal("0123456789ab", human["ID"]);
        Assert.Equal("2 days ago", human["CreatedSince"]);
        Assert.Equal("/bin/sh -c #(nop) ADD file:0123456789abcdef …", human["CreatedBy"]);
        Assert.Equal("4.5MB", human["Size"]);
        Assert.Equal("buildkit", human["Comment"]);
        Assert.Equal("<missing>", raw["ID"]);
        Assert.Equal("2023-11-12T22:13:20Z", raw["CreatedSince"]);
        Assert.Equal("0", raw["Size"]);
    }
}
