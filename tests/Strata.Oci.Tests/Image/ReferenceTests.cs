using Strata.Oci.Image;

namespace Strata.Oci.Tests.Image;

public class ReferenceTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("library/ubuntu")]
    [InlineData("a.b/c_d/e__f/g---h")]
    [InlineData("0/1/2")]
    public void IsValidRepository_SpecNames_Accepted(string name) => Assert.True(Reference.IsValidRepository(name));

    [Theory]
    [InlineData("")]
    [InlineData("A")]
    [InlineData("..")]
    [InlineData("a/../b")]
    [InlineData("a/./b")]
    [InlineData("/a")]
    [InlineData("a/")]
    [InlineData("a//b")]
    [InlineData("a___b")]
    [InlineData("a.-b")]
    [InlineData("a-")]
    [InlineData("a%2Fb")]
    [InlineData("a\\b")]
    public void IsValidRepository_Invalid_Rejected(string name) => Assert.False(Reference.IsValidRepository(name));

    [Fact]
    public void IsValidRepository_TooLong_Rejected() => Assert.False(Reference.IsValidRepository(new string('a', 256)));

    [Theory]
    [InlineData("latest", true)]
    [InlineData("_x", true)]
    [InlineData("v1.2-rc_3", true)]
    [InlineData(".hidden", false)]
    [InlineData("-x", false)]
    [InlineData("a/b", false)]
    [InlineData("", false)]
    public void IsValidTag_FollowsGrammar(string tag, bool valid) => Assert.Equal(valid, Reference.IsValidTag(tag));

    [Fact]
    public void IsValidTag_LengthLimit()
    {
        Assert.True(Reference.IsValidTag(new string('a', 128)));
        Assert.False(Reference.IsValidTag(new string('a', 129)));
    }
}
