using Strata.Engine.Api.Server;
using Xunit;

namespace Strata.Engine.Api.Tests;

public sealed class FiltersTests
{
    [Theory]
    [InlineData("""{"name":{"web":true}}""")]
    [InlineData("""{"name":["web"]}""")]
    public void BothJsonForms_ReadTheSameValues(string json)
    {
        Assert.True(Filters.TryParse(json, out var f, out var error), error);
        Assert.Equal(["web"], f.Get("name"));
        Assert.True(f.ExactMatch("name", "web"));
        Assert.False(f.ExactMatch("name", "db"));
        Assert.True(f.ExactMatch("status", "anything"));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""["a"]""")]
    [InlineData("""{"name":"web"}""")]
    [InlineData("""{"name":[1]}""")]
    public void Malformed_IsAnInvalidFilter(string json)
    {
        Assert.False(Filters.TryParse(json, out _, out var error));
        Assert.StartsWith("invalid filter", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NamesTheUnknownKey()
    {
        Assert.True(Filters.TryParse("""{"name":["a"],"colour":["b"]}""", out var f, out _));
        Assert.False(f.Validate(new HashSet<string> { "name" }, out var error));
        Assert.Equal("invalid filter 'colour'", error);
    }

    [Fact]
    public void Match_TakesRegularExpressions_FuzzyMatch_Prefixes()
    {
        Assert.True(Filters.TryParse("""{"name":["^/we"],"id":["abc"]}""", out var f, out _));
        Assert.True(f.Match("name", "/web"));
        Assert.False(f.Match("name", "/db-web"));
        Assert.True(f.FuzzyMatch("id", "abcdef"));
        Assert.False(f.FuzzyMatch("id", "0abc"));
    }

    [Fact]
    public void Labels_KeyOrKeyValue_AllMustHold()
    {
        Assert.True(Filters.TryParse("""{"label":["tier","env=prod"]}""", out var f, out _));
        Assert.True(f.MatchLabels("label", new Dictionary<string, string> { ["tier"] = "web", ["env"] = "prod" }));
        Assert.False(f.MatchLabels("label", new Dictionary<string, string> { ["tier"] = "web", ["env"] = "dev" }));
        Assert.False(f.MatchLabels("label", null));
    }

    [Fact]
    public void Bool_AcceptsDockersSpellings()
    {
        Assert.True(Filters.TryParse("""{"dangling":["true"]}""", out var f, out _));
        Assert.True(f.TryGetBool("dangling", false, out var v, out _));
        Assert.True(v);
        Assert.True(Filters.TryParse("""{"dangling":["maybe"]}""", out f, out _));
        Assert.False(f.TryGetBool("dangling", false, out _, out var error));
        Assert.Equal("invalid filter 'dangling=maybe'", error);
    }
}
