using Strata.Runtime.Init;

namespace Strata.Runtime.Tests.Init;

public sealed class FindExecutableTests : IDisposable
{
    private const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode NotExecutable = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void FindExecutable_AbsoluteExecutable_ReturnedAsIs()
    {
        var tool = _dir.File("bin/tool", "#!/bin/sh\n", Executable);

        Assert.Equal(tool, InitProcess.FindExecutable(tool, [], "/"));
    }

    [Fact]
    public void FindExecutable_OnlyGroupOrOtherExecuteBit_CountsAsExecutable()
    {
        var tool = _dir.File("bin/tool", "", UnixFileMode.UserRead | UnixFileMode.OtherExecute);

        Assert.Equal(tool, InitProcess.FindExecutable(tool, [], "/"));
    }

    [Fact]
    public void FindExecutable_AbsoluteNotExecutable_RuncPermissionDenied()
    {
        var tool = _dir.File("bin/tool", "", NotExecutable);

        var e = Assert.Throws<RuntimeException>(() => InitProcess.FindExecutable(tool, [], "/"));

        // docker turns "permission denied" into exit code 126 and "no such file" into 127, as with runc.
        Assert.Equal($"exec: \"{tool}\": permission denied", e.Message);
    }

    [Fact]
    public void FindExecutable_AbsoluteDirectory_RuncPermissionDenied()
    {
        var dir = _dir.P("bin");
        _dir.File("bin/other", "", NotExecutable);

        var e = Assert.Throws<RuntimeException>(() => InitProcess.FindExecutable(dir, [], "/"));

        Assert.Equal($"exec: \"{dir}\": permission denied", e.Message);
    }

    [Fact]
    public void FindExecutable_AbsoluteMissing_Throws()
    {
        var missing = _dir.P("bin/none");

        var e = Assert.Throws<RuntimeException>(() => InitProcess.FindExecutable(missing, [], "/"));

        Assert.Equal($"exec: \"{missing}\": stat {missing}: no such file or directory", e.Message);
    }

    [Fact]
    public void FindExecutable_RelativeWithSlash_CheckedAgainstCwdReturnedRelative()
    {
        _dir.File("app/run.sh", "", Executable);

        Assert.Equal("./app/run.sh", InitProcess.FindExecutable("./app/run.sh", [], _dir.Path));
        Assert.Throws<RuntimeException>(() => InitProcess.FindExecutable("./app/run.sh", [], "/"));
    }

    [Fact]
    public void FindExecutable_BareName_FoundInContainerPath()
    {
        var bin = _dir.Dir("bin");
        _dir.File("bin/tool", "", Executable);

        var found = InitProcess.FindExecutable("tool", ["HOME=/root", $"PATH={_dir.P("empty")}:{bin}"], "/");

        Assert.Equal(bin + "/tool", found);
    }

    [Fact]
    public void FindExecutable_EarlierPathEntry_Wins()
    {
        _dir.File("a/tool", "", Executable);
        _dir.File("b/tool", "", Executable);

        Assert.Equal(_dir.P("b/tool"), InitProcess.FindExecutable("tool", [$"PATH={_dir.P("b")}:{_dir.P("a")}"], "/"));
    }

    [Fact]
    public void FindExecutable_NonExecutableAndDirectoryEarlierInPath_Skipped()
    {
        _dir.File("a/tool", "", NotExecutable);
        _dir.Dir("b/tool");
        File.SetUnixFileMode(_dir.P("b/tool"), Executable);
        _dir.File("c/tool", "", Executable);

        var found = InitProcess.FindExecutable("tool", [$"PATH={_dir.P("a")}:{_dir.P("b")}:{_dir.P("c")}"], "/");

        Assert.Equal(_dir.P("c/tool"), found);
    }

    [Fact]
    public void FindExecutable_SeveralPathVariables_LastOneUsed()
    {
        _dir.File("first/tool", "", Executable);
        _dir.File("last/tool", "", Executable);

        var found = InitProcess.FindExecutable("tool", [$"PATH={_dir.P("first")}", $"PATH={_dir.P("last")}"], "/");

        Assert.Equal(_dir.P("last/tool"), found);
    }

    [Fact]
    public void FindExecutable_EmptyPathEntry_MeansCwd()
    {
        _dir.File("tool", "", Executable);

        Assert.Equal("./tool", InitProcess.FindExecutable("tool", ["PATH=/nonexistent-strata:"], _dir.Path));
    }

    [Fact]
    public void FindExecutable_NotFound_RuncMessage()
    {
        _dir.File("a/other", "", Executable);

        var e = Assert.Throws<RuntimeException>(() => InitProcess.FindExecutable("tool", [$"PATH={_dir.P("a")}"], "/"));

        Assert.Equal("exec: \"tool\": executable file not found in $PATH", e.Message);
    }

    [Fact]
    public void FindExecutable_NoPathVariable_DefaultPathUsed()
    {
        // The default PATH (/usr/local/sbin:...:/bin) is searched; sh is in it on any Linux host.
        var found = InitProcess.FindExecutable("sh", ["TERM=xterm"], "/");

        Assert.Contains(Path.GetDirectoryName(found), new[] { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" });
        Assert.Throws<RuntimeException>(() => InitProcess.FindExecutable("sh", ["PATH=" + _dir.Path], "/"));
    }
}
