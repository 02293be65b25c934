using Strata.Runtime.Init;

namespace Strata.Runtime.Tests.Init;

public sealed class SecurePathTests : IDisposable
{
    private readonly TempDir _root = new();

    public void Dispose() => _root.Dispose();

    private string Root => _root.Path;

    private void AssertInRoot(string resolved)
    {
        Assert.True(resolved == Root || resolved.StartsWith(Root + "/", StringComparison.Ordinal), $"{resolved} escaped {Root}");
    }

    [Theory]
    [InlineData("/etc/passwd", "etc/passwd")]
    [InlineData("etc/passwd", "etc/passwd")]
    [InlineData("//etc///passwd/", "etc/passwd")]
    [InlineData("/./etc/./passwd", "etc/passwd")]
    public void Join_PlainPath_UnderRoot(string unsafePath, string expected)
    {
        Assert.Equal(_root.P(expected), SecurePath.Join(Root, unsafePath));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("/../../..")]
    public void Join_RootOrAboveRoot_IsRoot(string unsafePath)
    {
        Assert.Equal(Root, SecurePath.Join(Root, unsafePath));
    }

    [Fact]
    public void Join_RootWithTrailingSlash_SameResult()
    {
        Assert.Equal(_root.P("a"), SecurePath.Join(Root + "/", "a"));
    }

    [Fact]
    public void Join_DotDotInUnsafePath_ClampedAtRoot()
    {
        Assert.Equal(_root.P("etc/shadow"), SecurePath.Join(Root, "/a/b/../../../../etc/shadow"));
    }

    [Fact]
    public void Join_DotDotWithinRoot_Lexical()
    {
        _root.Dir("a/b");

        Assert.Equal(_root.P("a/c"), SecurePath.Join(Root, "/a/b/../c"));
    }

    [Fact]
    public void Join_AbsoluteSymlinkOutOfRoot_ResolvedInsideRoot()
    {
        // /link -> /etc on the host would be /etc; inside the root it is ROOT/etc.
        _root.Symlink("link", "/etc");

        var resolved = SecurePath.Join(Root, "/link/passwd");

        Assert.Equal(_root.P("etc/passwd"), resolved);
    }

    [Fact]
    public void Join_AbsoluteSymlinkToItself_TooManyLinks()
    {
        // ROOT/etc -> /etc is ROOT/etc again: a loop, as the kernel sees it with ROOT as "/".
        _root.Symlink("etc", "/etc");

        var e = Assert.Throws<RuntimeException>(() => SecurePath.Join(Root, "/etc/passwd"));

        Assert.Contains("too many levels of symbolic links", e.Message);
    }

    [Fact]
    public void Join_RelativeDotDotSymlinkEscape_ClampedAtRoot()
    {
        _root.Symlink("a/b/up", "../../../../../../..");

        var resolved = SecurePath.Join(Root, "/a/b/up/etc/passwd");

        Assert.Equal(_root.P("etc/passwd"), resolved);
    }

    [Fact]
    public void Join_RelativeSymlink_ResolvedFromItsDirectory()
    {
        _root.Dir("a/target");
        _root.Symlink("a/b/link", "../target");

        Assert.Equal(_root.P("a/target/file"), SecurePath.Join(Root, "/a/b/link/file"));
    }

    [Fact]
    public void Join_SymlinkToSlash_IsRoot()
    {
        _root.Symlink("rootlink", "/");

        Assert.Equal(_root.P("mnt"), SecurePath.Join(Root, "/rootlink/mnt"));
        Assert.Equal(Root, SecurePath.Join(Root, "/rootlink"));
    }

    [Fact]
    public void Join_NestedSymlinks_AllFollowedInsideRoot()
    {
        // /x -> /y/z, /y -> ../../w (escape attempt), so /x/file is /w/z/file in the root.
        _root.Dir("w/z");
        _root.Symlink("x", "/y/z");
        _root.Symlink("y", "../../w");

        var resolved = SecurePath.Join(Root, "/x/file");

        Assert.Equal(_root.P("w/z/file"), resolved);
    }

    [Fact]
    public void Join_SymlinkChainThroughDotDot_NeverLeavesRoot()
    {
        _root.Symlink("a/escape", "../../../tmp");
        _root.Symlink("b", "/a/escape/../../../..");

        var resolved = SecurePath.Join(Root, "/b/x");

        AssertInRoot(resolved);
        Assert.Equal(_root.P("x"), resolved);
    }

    [Fact]
    public void Join_SymlinkLoopBetweenTwoLinks_Throws()
    {
        _root.Symlink("a", "b");
        _root.Symlink("b", "a");

        Assert.Throws<RuntimeException>(() => SecurePath.Join(Root, "/a/file"));
    }

    [Fact]
    public void Join_DanglingSymlinkLastComponent_ResolvedToItsTargetInRoot()
    {
        _root.Symlink("dangling", "/nonexistent/target");

        Assert.Equal(_root.P("nonexistent/target"), SecurePath.Join(Root, "/dangling"));
    }

    [Fact]
    public void Join_SymlinkTargetWithDotDotAfterAbsolute_StaysInRoot()
    {
        _root.Symlink("l", "/../../../../etc");

        var resolved = SecurePath.Join(Root, "l");

        Assert.Equal(_root.P("etc"), resolved);
    }

    [Fact]
    public void Join_RegularFileAsDirectoryComponent_LexicalPathUnderRoot()
    {
        _root.File("file", "x");

        Assert.Equal(_root.P("file/sub"), SecurePath.Join(Root, "/file/sub"));
    }
}
