using Strata.Engine.Api.Tests;

namespace Strata.Cli.Tests;

/// <summary>`strata build` as a user runs it: the built strata over a store of the test's own.</summary>
public sealed class BuildCommandTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Context(string dockerfile)
    {
        var context = _temp.Combine("context");
        Directory.CreateDirectory(Path.Combine(context, "bin"));
        File.WriteAllText(Path.Combine(context, "Containerfile"), dockerfile);
        File.WriteAllText(Path.Combine(context, "bin", "hello"), "#!/bin/sh\necho hello\n");
        return context;
    }

    [Fact]
    public async Task Build_Quiet_PrintsTheImageId_SameInTwoStores_AndTheImageUnpacks()
    {
        var context = Context("FROM scratch\nARG VERSION=1\nLABEL version=$VERSION\nCOPY bin/ /usr/local/bin/\nCMD [\"hello\"]\n");
        var first = await StrataProcess.RunAsync("--root", _temp.Combine("one"), "build", "-q", "-t", "hello:1", "--build-arg", "SOURCE_DATE_EPOCH=1700000000", context);
        var second = await StrataProcess.RunAsync("--root", _temp.Combine("two"), "build", "-q", "--build-arg", "SOURCE_DATE_EPOCH=1700000000", context);
        Assert.Equal(0, first.Exit);
        Assert.Matches("^sha256:[0-9a-f]{64}\n$", first.Stdout);
        Assert.Equal(first.Stdout, second.Stdout);

        var unpack = await StrataProcess.RunAsync("--root", _temp.Combine("one"), "image", "unpack", "hello:1", _temp.Combine("unpacked"));
        Assert.Equal(0, unpack.Exit);
        Assert.Equal("#!/bin/sh\necho hello\n", File.ReadAllText(_temp.Combine("unpacked", "rootfs", "usr", "local", "bin", "hello")));
    }

    [Fact]
    public async Task Build_Progress_StepsAndUnusedBuildArgs()
    {
        var context = Context("FROM scratch\nCOPY bin/hello /hello\n");
        var (exit, stdout, stderr) = await StrataProcess.RunAsync("--root", _temp.Combine("store"), "build", "-t", "progress", "--build-arg", "NOT_DECLARED=1", context);
        Assert.Equal(0, exit);
        Assert.StartsWith("Step 1/2 : FROM scratch\nStep 2/2 : COPY bin/hello /hello\n ---> ", stdout, StringComparison.Ordinal);
        Assert.Contains("Successfully tagged docker.io/library/progress:latest", stdout, StringComparison.Ordinal);
        Assert.Contains("[Warning] One or more build-args [NOT_DECLARED] were not consumed", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_BadDockerfile_PrintsWhereAndExits1()
    {
        var context = Context("FROM scratch\n\nFOO bar\n");
        var (exit, _, stderr) = await StrataProcess.RunAsync("--root", _temp.Combine("store"), "build", "-t", "never", context);
        Assert.Equal(1, exit);
        Assert.Equal("Containerfile:3\nERROR: dockerfile parse error on line 3: unknown instruction: FOO (did you mean FROM?)\n", stderr);
    }
}
