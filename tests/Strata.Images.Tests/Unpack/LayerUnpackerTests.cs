using System.Security.Cryptography;
using Strata.Images.Unpack;
using Strata.Linux;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Unpack;

public sealed class LayerUnpackerTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly string _root;
    private readonly string _outside;

    public LayerUnpackerTests()
    {
        _root = _temp.Combine("rootfs");
        _outside = _temp.Combine("outside");
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_outside, "secret"), "host");
    }

    public void Dispose() => _temp.Dispose();

    private static bool IsRoot => Sys.EffectiveUserId == 0;

    private Task<Digest> Unpack(byte[] layer, WhiteoutMode mode = WhiteoutMode.Apply) =>
        LayerUnpacker.UnpackAsync(new MemoryStream(layer), _root, new UnpackOptions { Whiteouts = mode });

    private void AssertOutsideUntouched()
    {
        Assert.Equal(["secret"], Directory.EnumerateFileSystemEntries(_outside).Select(Path.GetFileName));
        Assert.Equal("host", File.ReadAllText(Path.Combine(_outside, "secret")));
    }

    [Fact]
    public async Task Unpack_PlainTar_RestoresFilesModesLinksAndMtimes()
    {
        var tar = new LayerBuilder()
            .Dir("etc/")
            .File("etc/hostname", "box\n", (UnixFileMode)0b110_000_000)
            .File("bin/tool", "#!/bin/sh\n", (UnixFileMode)0b111_101_101)
            .Symlink("bin/alias", "tool")
            .HardLink("bin/hard", "bin/tool")
            .Fifo("run.fifo")
            .Tar();
        var diffId = await Unpack(tar);

        Assert.Equal(Digest.Compute(tar), diffId);
        Assert.Equal("box\n", File.ReadAllText(Path.Combine(_root, "etc/hostname")));
        Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(Path.Combine(_root, "etc/hostname")));
        Assert.Equal("tool", new FileInfo(Path.Combine(_root, "bin/alias")).LinkTarget);
        Assert.Equal(LayerBuilder.Mtime.UtcDateTime, File.GetLastWriteTimeUtc(Path.Combine(_root, "bin/tool")));
        Assert.Equal(LayerBuilder.Mtime.UtcDateTime, Directory.GetLastWriteTimeUtc(Path.Combine(_root, "etc")));
        File.AppendAllText(Path.Combine(_root, "bin/hard"), "echo\n");
        Assert.Equal("#!/bin/sh\necho\n", File.ReadAllText(Path.Combine(_root, "bin/tool")));
        Assert.True(File.Exists(Path.Combine(_root, "run.fifo")));
    }

    [Fact]
    public async Task Unpack_GzipAndZstd_SameTreeAndDiffIdAsPlain()
    {
        var tar = new LayerBuilder().File("a/b", "content").Tar();
        foreach (var blob in new[] { LayerBuilder.Gzip(tar), LayerBuilder.Zstd(tar) })
        {
            Directory.Delete(_root, recursive: true);
            var diffId = await Unpack(blob);
            Assert.Equal(Digest.Compute(tar), diffId);
            Assert.Equal("content", File.ReadAllText(Path.Combine(_root, "a/b")));
        }
    }

    [Fact]
    public async Task Unpack_PaxXattr_IsRestored()
    {
        var tar = new LayerBuilder().File("f", "x", pax: new() { ["SCHILY.xattr.user.strata"] = "yes" }).Tar();
        await Unpack(tar);
        var value = FileMetadata.GetXattr(Path.Combine(_root, "f"), "user.strata");
        Assert.Equal("yes"u8.ToArray(), value);
    }

    [SkippableFact]
    public async Task Unpack_Ownership_IsRestoredWhenRoot()
    {
        Skip.IfNot(IsRoot, "needs root: chown to another owner");
        await Unpack(new LayerBuilder().File("owned", "x", uid: 1234, gid: 5678).Tar());
        var psi = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u:%g", Path.Combine(_root, "owned")]) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        Assert.Equal("1234:5678", p.StandardOutput.ReadToEnd().Trim());
    }

    [SkippableFact]
    public async Task Unpack_DeviceNode_CreatedWhenRoot()
    {
        Skip.IfNot(IsRoot, "needs root: mknod of a device node");
        await Unpack(new LayerBuilder().CharDevice("dev/null", 1, 3).Tar());
        var psi = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%F %t:%T", Path.Combine(_root, "dev/null")]) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        Assert.Equal("character special file 1:3", p.StandardOutput.ReadToEnd().Trim());
    }

    /// <summary>
    /// Debian's usrmerge layout (/lib -> usr/lib, /lib64 -> usr/lib64, the loader's link in usr/lib64 naming
    /// /lib/...): files written through the links land under usr/, and the interpreter path of every x86-64
    /// program, /lib64/ld-linux-x86-64.so.2, resolves inside the root to the loader.
    /// </summary>
    [Fact]
    public async Task Unpack_UsrMergeLinks_FilesWrittenThroughThemLandUnderUsr()
    {
        var tar = new LayerBuilder()
            .Dir("usr/").Dir("usr/lib/").Dir("usr/lib64/")
            .Symlink("lib", "usr/lib")
            .Symlink("lib64", "usr/lib64")
            .File("lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "loader", (UnixFileMode)0b111_101_101)
            .Symlink("lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
            .Tar();
        await Unpack(tar);

        Assert.Equal("usr/lib64", new FileInfo(Path.Combine(_root, "lib64")).LinkTarget);
        Assert.Equal("loader", File.ReadAllText(Path.Combine(_root, "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")));
        Assert.Equal("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", new FileInfo(Path.Combine(_root, "usr/lib64/ld-linux-x86-64.so.2")).LinkTarget);
        Assert.Equal(Path.Combine(_root, "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"), RootedPath.Join(_root, "/lib64/ld-linux-x86-64.so.2"));
    }

    /// <summary>
    /// A symlink entry replaces whatever its path holds, a directory written earlier in the same layer too, with
    /// everything in it: moby's UnpackLayer and containerd's applier remove the path unless both are directories
    /// (GNU tar instead refuses the link and keeps the directory). So a layer that writes the loader under a real
    /// lib64/ and then the usrmerge link lib64 -> usr/lib64 has no loader, and its dynamic programs fail execve
    /// with ENOENT ("exec /usr/bin/redis-server: no such file or directory") although the program is there.
    /// </summary>
    [Fact]
    public async Task Unpack_SymlinkAfterDirectoryOfTheSameName_ReplacesTheDirectory()
    {
        var tar = new LayerBuilder()
            .File("lib64/ld-linux-x86-64.so.2", "loader", (UnixFileMode)0b111_101_101)
            .Symlink("lib64", "usr/lib64")
            .Tar();
        await Unpack(tar);

        Assert.Equal("usr/lib64", new FileInfo(Path.Combine(_root, "lib64")).LinkTarget);
        Assert.Null(RootedPath.Resolve(_root, "lib64", createMissing: false));
    }

    [Fact]
    public async Task Unpack_Whiteout_DeletesLowerFileInApplyMode()
    {
        await Unpack(new LayerBuilder().File("etc/a", "1").File("etc/b", "2").Tar());
        await Unpack(new LayerBuilder().File("etc/.wh.a", "").Tar());
        Assert.False(File.Exists(Path.Combine(_root, "etc/a")));
        Assert.True(File.Exists(Path.Combine(_root, "etc/b")));
    }

    [Fact]
    public async Task Unpack_OpaqueDirectory_HidesLowerEntriesButKeepsThisLayers()
    {
        await Unpack(new LayerBuilder().File("d/old1", "1").File("d/sub/old2", "2").Tar());
        await Unpack(new LayerBuilder().Dir("d/").File("d/.wh..wh..opq", "").File("d/new", "3").Tar());
        Assert.Equal(["new"], Directory.EnumerateFileSystemEntries(Path.Combine(_root, "d")).Select(Path.GetFileName));
    }

    [SkippableFact]
    public async Task Unpack_OverlayMode_WritesOverlayWhiteoutsWhenRoot()
    {
        Skip.IfNot(IsRoot, "needs root: trusted.* xattrs and 0:0 whiteout devices");
        await Unpack(new LayerBuilder().Dir("d/").File("d/.wh..wh..opq", "").File("etc/.wh.gone", "").Tar(), WhiteoutMode.Overlay);
        Assert.Equal("y"u8.ToArray(), FileMetadata.GetXattr(Path.Combine(_root, "d"), "trusted.overlay.opaque"));
        var psi = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%F %t:%T", Path.Combine(_root, "etc/gone")]) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        Assert.Equal("character special file 0:0", p.StandardOutput.ReadToEnd().Trim());
    }

    // ---- hostile layers: each must be rejected or confined to the rootfs ----

    [Fact]
    public async Task Hostile_DotDotPath_IsRejected()
    {
        var tar = new LayerBuilder().File("../outside/pwned", "x").Tar();
        var e = await Assert.ThrowsAsync<ImageException>(() => Unpack(tar));
        Assert.Equal(ImageErrorCode.LayerEscapes, e.Code);
        AssertOutsideUntouched();
    }

    [Fact]
    public async Task Hostile_DotDotInsideName_ClimbingOut_IsRejected()
    {
        var tar = new LayerBuilder().File("a/../../outside/pwned", "x").Tar();
        var e = await Assert.ThrowsAsync<ImageException>(() => Unpack(tar));
        Assert.Equal(ImageErrorCode.LayerEscapes, e.Code);
        AssertOutsideUntouched();
    }

    [Fact]
    public async Task Hostile_AbsolutePath_IsConfinedToRoot()
    {
        var target = Path.Combine(_outside, "pwned");
        await Unpack(new LayerBuilder().File(target, "x").Tar());
        AssertOutsideUntouched();
        Assert.True(File.Exists(_root + target));
    }

    [Fact]
    public async Task Hostile_WriteThroughAbsoluteSymlinkDir_IsConfined()
    {
        var tar = new LayerBuilder().Symlink("escape", _outside).File("escape/pwned", "x").Tar();
        await Unpack(tar);
        AssertOutsideUntouched();
        Assert.True(File.Exists(_root + _outside + "/pwned"));
    }

    [Fact]
    public async Task Hostile_WriteThroughRelativeSymlinkDir_IsConfined()
    {
        var tar = new LayerBuilder().Symlink("up", "../../../../../../../..").File("up/pwned", "x").Tar();
        await Unpack(tar);
        Assert.True(File.Exists(Path.Combine(_root, "pwned")));
        AssertOutsideUntouched();
    }

    [Fact]
    public async Task Hostile_SymlinkPlantedByLowerLayer_IsConfinedInUpperLayer()
    {
        await Unpack(new LayerBuilder().Symlink("lib", _outside).Tar());
        await Unpack(new LayerBuilder().File("lib/pwned", "x").Tar());
        AssertOutsideUntouched();
    }

    [Fact]
    public async Task Hostile_FileOverSymlinkToOutsideFile_ReplacesLinkNotTarget()
    {
        var tar = new LayerBuilder().Symlink("victim", Path.Combine(_outside, "secret")).File("victim", "overwritten").Tar();
        await Unpack(tar);
        AssertOutsideUntouched();
        Assert.Null(new FileInfo(Path.Combine(_root, "victim")).LinkTarget);
        Assert.Equal("overwritten", File.ReadAllText(Path.Combine(_root, "victim")));
    }

    /// <summary>
    /// Directory times are set after the last entry, but a later entry may have replaced the directory or one
    /// of its parents with a symlink: stamping the recorded path then would follow that link, out of the root.
    /// </summary>
    [Fact]
    public async Task Hostile_DirectoryReplacedBySymlinkToOutside_OutsideTimesUntouched()
    {
        var outsideDir = Path.Combine(_outside, "d");
        Directory.CreateDirectory(outsideDir);
        var before = Directory.GetLastWriteTimeUtc(outsideDir);
        var tar = new LayerBuilder().Dir("x/").Dir("x/d/").Symlink("x", _outside).Tar();
        await Unpack(tar);
        Assert.Equal(_outside, new FileInfo(Path.Combine(_root, "x")).LinkTarget);
        Assert.Equal(before, Directory.GetLastWriteTimeUtc(outsideDir));
    }

    /// <summary>A directory written, then replaced by a link to a place that does not exist: the layer still unpacks.</summary>
    [Fact]
    public async Task Unpack_DirectoryTreeReplacedByDanglingSymlink_Unpacks()
    {
        var tar = new LayerBuilder().Dir("lib/").Dir("lib/x86_64-linux-gnu/").File("lib/x86_64-linux-gnu/libc.so.6", "c").Symlink("lib", "usr/lib").Tar();
        await Unpack(tar);
        Assert.Equal("usr/lib", new FileInfo(Path.Combine(_root, "lib")).LinkTarget);
    }

    [Fact]
    public async Task Hostile_HardLinkClimbingOut_IsRejected()
    {
        var tar = new LayerBuilder().HardLink("stolen", "../outside/secret").Tar();
        var e = await Assert.ThrowsAsync<ImageException>(() => Unpack(tar));
        Assert.Equal(ImageErrorCode.LayerEscapes, e.Code);
        Assert.False(File.Exists(Path.Combine(_root, "stolen")));
    }

    [Fact]
    public async Task Hostile_HardLinkToAbsoluteHostPath_IsConfinedAndFails()
    {
        var tar = new LayerBuilder().HardLink("stolen", Path.Combine(_outside, "secret")).Tar();
        var e = await Assert.ThrowsAsync<ImageException>(() => Unpack(tar));
        Assert.Equal(ImageErrorCode.InvalidLayer, e.Code);
        Assert.False(File.Exists(Path.Combine(_root, "stolen")));
    }

    [Fact]
    public async Task Hostile_HardLinkThroughSymlinkDir_DoesNotLinkHostFile()
    {
        var tar = new LayerBuilder().Symlink("escape", _outside).HardLink("stolen", "escape/secret").Tar();
        await Assert.ThrowsAsync<ImageException>(() => Unpack(tar));
        Assert.False(File.Exists(Path.Combine(_root, "stolen")));
        AssertOutsideUntouched();
    }

    [Fact]
    public async Task Hostile_HardLinkToSymlinkThenWrite_DoesNotWriteOutside()
    {
        var tar = new LayerBuilder()
            .Symlink("sl", Path.Combine(_outside, "secret"))
            .HardLink("hl", "sl")
            .File("hl", "overwritten")
            .Tar();
        await Unpack(tar);
        AssertOutsideUntouched();
        Assert.Equal("overwritten", File.ReadAllText(Path.Combine(_root, "hl")));
    }

    [Fact]
    public async Task Hostile_WhiteoutThroughSymlink_DoesNotDeleteOutside()
    {
        await Unpack(new LayerBuilder().Symlink("escape", _outside).Tar());
        await Unpack(new LayerBuilder().File("escape/.wh.secret", "").Tar());
        AssertOutsideUntouched();
    }

    [Fact]
    public async Task Hostile_OpaqueThroughSymlink_DoesNotEmptyOutside()
    {
        await Unpack(new LayerBuilder().Symlink("escape", _outside).Tar());
        await Unpack(new LayerBuilder().File("escape/.wh..wh..opq", "").Tar());
        AssertOutsideUntouched();
    }

    [Fact]
    public async Task Hostile_SymlinkLoop_FailsCleanly()
    {
        var tar = new LayerBuilder().Symlink("a", "b").Symlink("b", "a").File("a/x", "x").Tar();
        var e = await Assert.ThrowsAsync<ImageException>(() => Unpack(tar));
        Assert.Equal(ImageErrorCode.InvalidLayer, e.Code);
    }

    [Fact]
    public async Task Unpack_DiffId_IsReproducible()
    {
        var tar = new LayerBuilder().File("x", RandomNumberGenerator.GetHexString(100)).Tar();
        var first = await Unpack(tar);
        Directory.Delete(_root, recursive: true);
        Assert.Equal(first, await Unpack(LayerBuilder.Gzip(tar)));
    }
}
