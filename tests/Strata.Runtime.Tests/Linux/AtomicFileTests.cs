using Strata.Linux;

namespace Strata.Runtime.Tests.Linux;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Write_NewFile_ContentWrittenNoTempLeft()
    {
        var path = _dir.P("state.json");

        AtomicFile.Write(path, "{\"a\":1}"u8);

        Assert.Equal("{\"a\":1}", File.ReadAllText(path));
        Assert.Equal(["state.json"], Directory.EnumerateFileSystemEntries(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_Existing_ReplacedWhole()
    {
        var path = _dir.File("state.json", "a much longer old content that must not survive");

        AtomicFile.Write(path, "new"u8);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Single(Directory.EnumerateFileSystemEntries(_dir.Path));
    }

    [Fact]
    public void Write_DefaultMode_OwnerReadWriteOnly()
    {
        var path = _dir.P("secret");

        AtomicFile.Write(path, "x"u8);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Write_ExplicitMode_Applied()
    {
        var path = _dir.P("public");
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

        AtomicFile.Write(path, "x"u8, mode);

        // The umask may remove bits, never add them.
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(path) & ~mode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path) & (UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Fact]
    public void Write_RelativePath_ResolvedAgainstCurrentDirectory()
    {
        var path = _dir.P("rel");

        AtomicFile.Write(Path.GetRelativePath(Environment.CurrentDirectory, path), "r"u8);

        Assert.Equal("r", File.ReadAllText(path));
    }

    [Fact]
    public void Write_MissingDirectory_ThrowsAndCreatesNothing()
    {
        Assert.ThrowsAny<IOException>(() => AtomicFile.Write(_dir.P("no/such/dir/file"), "x"u8));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Path));
    }

    [Fact]
    public void Write_StagingDirectory_TempWrittenThereNothingLeft()
    {
        var staging = _dir.Dir("ingest");
        var path = _dir.P("blobs/one");
        _dir.Dir("blobs");

        AtomicFile.Write(path, "content"u8, staging, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Equal("content", File.ReadAllText(path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(staging));
        Assert.Equal(["one"], Directory.EnumerateFileSystemEntries(_dir.P("blobs")).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_StagingDirectoryMissing_ThrowsAndTargetUntouched()
    {
        var path = _dir.File("blobs/one", "old");

        Assert.ThrowsAny<IOException>(() => AtomicFile.Write(path, "new"u8, _dir.P("no/such"), UnixFileMode.UserRead | UnixFileMode.UserWrite));

        Assert.Equal("old", File.ReadAllText(path));
    }

    [Fact]
    public void Commit_StagedFile_ReplacesTargetAndIsGone()
    {
        var staged = _dir.File("ingest/tmp1", "new");
        var path = _dir.File("blobs/one", "old");

        AtomicFile.Commit(staged, path);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.False(File.Exists(staged));
    }

    [Fact]
    public void Commit_MissingTemp_IOExceptionNamingTheTarget()
    {
        var path = _dir.File("blobs/one", "old");

        var e = Assert.ThrowsAny<IOException>(() => AtomicFile.Commit(_dir.P("ingest/none"), path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Equal("old", File.ReadAllText(path));
    }

    [Fact]
    public void SyncDirectory_Missing_IOExceptionNamingIt()
    {
        var e = Assert.ThrowsAny<IOException>(() => AtomicFile.SyncDirectory(_dir.P("gone")));

        Assert.Contains(_dir.P("gone"), e.Message, StringComparison.Ordinal);
        AtomicFile.SyncDirectory(_dir.Path);
    }
}
