using Strata.Build.Context;

namespace Strata.Build.Tests.Context;

public class IgnoreMatcherTests
{
    private static bool Matches(string path, params string[] patterns) => IgnoreMatcher.Create(patterns).Matches(path);

    // moby/patternmatcher's TestMatches table: a pattern, a path, and whether the path or a parent matches.
    [Theory]
    [InlineData("**", "file", true)]
    [InlineData("**", "file/", true)]
    [InlineData("**/", "file", true)]
    [InlineData("**/", "file/", true)]
    [InlineData("**", "/", true)]
    [InlineData("**/", "/", true)]
    [InlineData("**", "dir/file", true)]
    [InlineData("**/", "dir/file", true)]
    [InlineData("**", "dir/file/", true)]
    [InlineData("**/", "dir/file/", true)]
    [InlineData("**/**", "dir/file", true)]
    [InlineData("**/**", "dir/file/", true)]
    [InlineData("dir/**", "dir/file", true)]
    [InlineData("dir/**", "dir/file/", true)]
    [InlineData("dir/**", "dir/dir2/file", true)]
    [InlineData("dir/**", "dir/dir2/file/", true)]
    [InlineData("**/dir", "dir", true)]
    [InlineData("**/dir", "dir/file", true)]
    [InlineData("**/dir2/*", "dir/dir2/file", true)]
    [InlineData("**/dir2/*", "dir/dir2/file/", true)]
    [InlineData("**/dir2/**", "dir/dir2/dir3/file", true)]
    [InlineData("**/dir2/**", "dir/dir2/dir3/file/", true)]
    [InlineData("**file", "file", true)]
    [InlineData("**file", "dir/file", true)]
    [InlineData("**/file", "dir/file", true)]
    [InlineData("**file", "dir/dir/file", true)]
    [InlineData("**/file", "dir/dir/file", true)]
    [InlineData("**/file*", "dir/dir/file", true)]
    [InlineData("**/file*", "dir/dir/file.txt", true)]
    [InlineData("**/file*txt", "dir/dir/file.txt", true)]
    [InlineData("**/file*.txt", "dir/dir/file.txt", true)]
    [InlineData("**/file*.txt*", "dir/dir/file.txt", true)]
    [InlineData("**/**/*.txt", "dir/dir/file.txt", true)]
    [InlineData("**/**/*.txt2", "dir/dir/file.txt", false)]
    [InlineData("**/*.txt", "file.txt", true)]
    [InlineData("**/**/*.txt", "file.txt", true)]
    [InlineData("a**/*.txt", "a/file.txt", true)]
    [InlineData("a**/*.txt", "a/dir/file.txt", true)]
    [InlineData("a**/*.txt", "a/dir/dir/file.txt", true)]
    [InlineData("a/*.txt", "a/dir/file.txt", false)]
    [InlineData("a/*.txt", "a/file.txt", true)]
    [InlineData("a/*.txt**", "a/file.txt", true)]
    [InlineData("a[b-d]e", "ae", false)]
    [InlineData("a[b-d]e", "ace", true)]
    [InlineData("a[b-d]e", "aae", false)]
    [InlineData("a[^b-d]e", "aze", true)]
    [InlineData(".*", ".foo", true)]
    [InlineData(".*", "foo", false)]
    [InlineData("abc.def", "abcdef", false)]
    [InlineData("abc.def", "abc.def", true)]
    [InlineData("abc.def", "abcZdef", false)]
    [InlineData("abc?def", "abcZdef", true)]
    [InlineData("abc?def", "abcdef", false)]
    [InlineData("**/foo/bar", "foo/bar", true)]
    [InlineData("**/foo/bar", "dir/foo/bar", true)]
    [InlineData("**/foo/bar", "dir/dir2/foo/bar", true)]
    [InlineData("abc/**", "abc", false)]
    [InlineData("abc/**", "abc/def", true)]
    [InlineData("abc/**", "abc/def/ghi", true)]
    [InlineData("**/.foo", ".foo", true)]
    [InlineData("**/.foo", "bar.foo", false)]
    [InlineData("a(b)c/def", "a(b)c/def", true)]
    [InlineData("a(b)c/def", "a(b)c/xyz", false)]
    [InlineData("a.|)$(}+{bc", "a.|)$(}+{bc", true)]
    [InlineData("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true)]
    [InlineData("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true)]
    [InlineData("a\\\\", "a\\", true)]
    [InlineData("a\\*b", "a*b", true)]
    public void Matches_MobyTable(string pattern, string path, bool expected) => Assert.Equal(expected, Matches(path, pattern));

    // Go's filepath.Match tests, as moby runs them through its matcher.
    [Theory]
    [InlineData("abc", "abc", true)]
    [InlineData("*", "abc", true)]
    [InlineData("*c", "abc", true)]
    [InlineData("a*", "a", true)]
    [InlineData("a*", "abc", true)]
    [InlineData("a*", "ab/c", true)]
    [InlineData("a*/b", "abc/b", true)]
    [InlineData("a*/b", "a/c/b", false)]
    [InlineData("a*b*c*d*e*/f", "axbxcxdxe/f", true)]
    [InlineData("a*b*c*d*e*/f", "axbxcxdxexxx/f", true)]
    [InlineData("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false)]
    [InlineData("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false)]
    [InlineData("a*b?c*x", "abxbbxdbxebxczzx", true)]
    [InlineData("a*b?c*x", "abxbbxdbxebxczzy", false)]
    [InlineData("ab[c]", "abc", true)]
    [InlineData("ab[b-d]", "abc", true)]
    [InlineData("ab[e-g]", "abc", false)]
    [InlineData("ab[^c]", "abc", false)]
    [InlineData("ab[^b-d]", "abc", false)]
    [InlineData("ab[^e-g]", "abc", true)]
    [InlineData("a\\*b", "ab", false)]
    [InlineData("a?b", "a☺b", true)]
    [InlineData("a[^a]b", "a☺b", true)]
    [InlineData("a???b", "a☺b", false)]
    [InlineData("[a-ζ]*", "α", true)]
    [InlineData("*[a-ζ]", "A", false)]
    [InlineData("a?b", "a/b", false)]
    [InlineData("a*b", "a/b", false)]
    [InlineData("[\\]a]", "]", true)]
    [InlineData("[\\-]", "-", true)]
    [InlineData("[x\\-]", "x", true)]
    [InlineData("[x\\-]", "-", true)]
    [InlineData("[x\\-]", "z", false)]
    [InlineData("[\\-x]", "x", true)]
    [InlineData("[\\-x]", "-", true)]
    [InlineData("[\\-x]", "a", false)]
    [InlineData("*x", "xxx", true)]
    public void Matches_GoFilepathMatchTable(string pattern, string path, bool expected) => Assert.Equal(expected, Matches(path, pattern));

    [Theory]
    [InlineData("[]a]")]
    [InlineData("[-]")]
    [InlineData("[x-]")]
    [InlineData("[-x]")]
    [InlineData("\\")]
    [InlineData("[a-b-c]")]
    [InlineData("[")]
    [InlineData("[^")]
    [InlineData("[^bc")]
    [InlineData("a[")]
    public void Create_MalformedPattern_IsGosSyntaxError(string pattern)
    {
        var e = Assert.Throws<IgnorePatternException>(() => IgnoreMatcher.Create([pattern]));
        Assert.Equal("syntax error in pattern", e.Message);
    }

    [Fact]
    public void Create_LoneExclamation_IsAnError()
    {
        var e = Assert.Throws<IgnorePatternException>(() => IgnoreMatcher.Create(["!"]));
        Assert.Equal("illegal exclusion pattern: \"!\"", e.Message);
    }

    [Theory]
    [InlineData("fileutils.go", new[] { "*" }, true)]
    [InlineData("fileutils.go", new[] { "*.go" }, true)]
    [InlineData("fileutils.go", new[] { "!fileutils.go", "*.go" }, true)] // the last match wins
    [InlineData("fileutils.go", new[] { "*.go", "!fileutils.go" }, false)]
    [InlineData("docs/README.md", new[] { "docs", "!docs/README.md" }, false)]
    [InlineData("docs/README.md", new[] { "docs/", "!docs/README.md" }, false)]
    [InlineData("docs/README.md", new[] { "docs/*", "!docs/README.md" }, false)]
    [InlineData("docs/other.md", new[] { "docs", "!docs/README.md" }, true)]
    [InlineData(".", new[] { "*.go" }, false)] // the context itself is never excluded
    [InlineData("/any/path/there", new string[0], false)]
    [InlineData("util/docker/web/foo", new[] { "**", "!util/docker/web" }, false)]
    [InlineData("util/docker/web/foo", new[] { "**", "!util/docker/web", "util/docker/web/foo" }, true)]
    [InlineData("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", new[] { "**", "!dist/*.whl" }, false)]
    public void Matches_Exceptions_LastMatchWins(string path, string[] patterns, bool expected) =>
        Assert.Equal(expected, IgnoreMatcher.Create(patterns).Matches(path));

    [Fact]
    public void Read_IgnoreFile_AsMobyReadsIt()
    {
        // Comments only at the start of a line; leading / and ./ and .. cleaned; ! kept; blank lines skipped.
        var patterns = IgnoreFile.Read("\uFEFF# comment\n*/temp*\n*/*/temp*\ntemp?\n\n  /abs/path  \n./rel/../other\n! *.md\n!README.md\n**/*.go\n # not a comment\r\n/\n");
        Assert.Equal(["*/temp*", "*/*/temp*", "temp?", "abs/path", "other", "!*.md", "!README.md", "**/*.go", "# not a comment", "/"], patterns);
    }

    [Fact]
    public void ReferenceExample_DockerignoreFile()
    {
        // Dockerfile reference / build context docs: the example .dockerignore.
        var m = IgnoreMatcher.Create(IgnoreFile.Read("# comment\n*/temp*\n*/*/temp*\ntemp?\n"));
        Assert.True(m.Matches("somedir/temporary.txt"));
        Assert.True(m.Matches("somedir/temp"));
        Assert.True(m.Matches("somedir/subdir/temporary.txt"));
        Assert.True(m.Matches("tempa"));
        Assert.True(m.Matches("tempb/inside"));
        Assert.False(m.Matches("temporary.txt"));
        Assert.False(m.Matches("a/b/c/temp"));

        var md = IgnoreMatcher.Create(IgnoreFile.Read("*.md\n!README*.md\nREADME-secret.md\n"));
        Assert.False(md.Matches("README.md"));
        Assert.False(md.Matches("README-public.md"));
        Assert.True(md.Matches("README-secret.md"));
        Assert.True(md.Matches("CHANGES.md"));
        Assert.True(md.HasExceptions);
    }

    [Fact]
    public void Find_PrefersDockerfileSpecificThenContainerignoreThenDockerignore()
    {
        var dir = Directory.CreateTempSubdirectory("strata-build-ignore-");
        try
        {
            var context = dir.FullName;
            Assert.Null(IgnoreFile.Find(context));
            Assert.Same(IgnoreMatcher.Empty, IgnoreFile.Load(context));
            File.WriteAllText(Path.Combine(context, ".dockerignore"), "a\n");
            Assert.Equal(Path.Combine(context, ".dockerignore"), IgnoreFile.Find(context));
            File.WriteAllText(Path.Combine(context, ".containerignore"), "b\n");
            Assert.Equal(Path.Combine(context, ".containerignore"), IgnoreFile.Find(context));
            Assert.True(IgnoreFile.Load(context).Matches("b"));
            Assert.False(IgnoreFile.Load(context).Matches("a"));
            var dockerfile = Path.Combine(context, "build.Dockerfile");
            File.WriteAllText(dockerfile + ".dockerignore", "c\n");
            Assert.Equal(dockerfile + ".dockerignore", IgnoreFile.Find(context, dockerfile));
            Assert.Equal(Path.Combine(context, ".containerignore"), IgnoreFile.Find(context, Path.Combine(context, "Dockerfile")));
            File.WriteAllText(Path.Combine(context, ".containerignore"), "[\n");
            var e = Assert.Throws<IgnorePatternException>(() => IgnoreFile.Load(context));
            Assert.Contains(".containerignore: syntax error in pattern", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
