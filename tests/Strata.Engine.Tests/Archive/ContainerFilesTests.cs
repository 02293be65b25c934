using System.Formats.Tar;
using Strata.Engine.Archive;
using Xunit;

namespace Strata.Engine.Tests.Archive;

/// <summary>docker cp's semantics over a real directory tree standing for a container's root.</summary>
public sealed class ContainerFilesTests : IDisposable
{
    private readonly TempDir _dir = new();

    private string Root => _dir.Path;

    public ContainerFilesTests()
    {
        Directory.CreateDirectory(Path.Combine(Root, "etc", "conf.d"));
        File.WriteAllText(Path.Combine(Root, "etc", "hostname"), "box\n");
        File.WriteAllText(Path.Combine(Root, "etc", "conf.d", "a.conf"), "a=1\n");
        File.CreateSymbolicLink(Path.Combine(Root, "link"), "/etc");
        // A link that would leave the root if followed on the host.
        File.CreateSymbolicLink(Path.Combine(Root, "escape"), "/../../../../tmp");
    }

    public void Dispose() => _dir.Dispose();

    private static async Task<List<(string Name, TarEntryType Type, string? Data)>> ReadTar(MemoryStream tar)
    {
        tar.Position = 0;
        var list = new List<(string, TarEntryType, string?)>();
        await using var reader = new TarReader(tar);
        while (await reader.GetNextEntryAsync() is { } e)
        {
            string? data = null;
            if (e.DataStream is { } s)
            {
                data = await new StreamReader(s).ReadToEndAsync();
            }
            list.Add((e.Name, e.EntryType, data));
        }
        return list;
    }

    [Fact]
    public void Stat_File_NameSizeMode()
    {
        var stat = ContainerFiles.Stat(Root, "/etc/hostname");

        Assert.NotNull(stat);
        Assert.Equal("hostname", stat.Name);
        Assert.Equal(4, stat.Size);
        Assert.Equal(0u, stat.Mode & (1u << 31));
        Assert.Equal("", stat.LinkTarget);
    }

    [Fact]
    public void Stat_Directory_HasGosDirBit()
    {
        var stat = ContainerFiles.Stat(Root, "etc/");

        Assert.NotNull(stat);
        Assert.Equal("etc", stat.Name);
        Assert.NotEqual(0u, stat.Mode & (1u << 31));
    }

    [Fact]
    public void Stat_Symlink_ReportsItsTargetInTheContainer()
    {
        var stat = ContainerFiles.Stat(Root, "/link");

        Assert.NotNull(stat);
        Assert.NotEqual(0u, stat.Mode & (1u << 27));
        Assert.Equal("/etc", stat.LinkTarget);
    }

    [Fact]
    public void Stat_Missing_IsNull() => Assert.Null(ContainerFiles.Stat(Root, "/nope/none"));

    [Fact]
    public async Task Tar_OfADirectory_TopEntryIsItsName()
    {
        using var tar = new MemoryStream();
        await ContainerFiles.WriteTarAsync(Root, "/etc", tar);

        var entries = await ReadTar(tar);
        Assert.Equal(["etc/", "etc/conf.d/", "etc/conf.d/a.conf", "etc/hostname"], entries.Select(e => e.Name));
        Assert.Equal("box\n", entries.Single(e => e.Name == "etc/hostname").Data);
    }

    [Fact]
    public async Task Tar_ThroughASymlinkedParent_ResolvesInsideTheRoot()
    {
        using var tar = new MemoryStream();
        await ContainerFiles.WriteTarAsync(Root, "/link/hostname", tar);

        var entries = await ReadTar(tar);
        Assert.Equal([("hostname", TarEntryType.RegularFile, (string?)"box\n")], entries);
    }

    [Fact]
    public async Task Tar_DirDot_ArchivesTheContents()
    {
        using var tar = new MemoryStream();
        await ContainerFiles.WriteTarAsync(Root, "/etc/conf.d/.", tar);

        var entries = await ReadTar(tar);
        Assert.Equal(["./", "./a.conf"], entries.Select(e => e.Name));
    }

    [Fact]
    public async Task Extract_IntoADirectory_WritesTheFiles()
    {
        using var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "new.txt") { DataStream = new MemoryStream("hi"u8.ToArray()) };
            await writer.WriteEntryAsync(entry);
        }
        tar.Position = 0;

        await ContainerFiles.ExtractAsync(Root, "/etc", tar, noOverwriteDirNonDir: false, copyUidGid: false);

        Assert.Equal("hi", File.ReadAllText(Path.Combine(Root, "etc", "new.txt")));
    }

    [Fact]
    public async Task Extract_ThroughAnEscapingSymlink_StaysInTheRoot()
    {
        var name = $"strata-escape-{Guid.NewGuid():N}.txt";
        using var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("x"u8.ToArray()) });
        }
        tar.Position = 0;
        Directory.CreateDirectory(Path.Combine(Root, "tmp"));

        await ContainerFiles.ExtractAsync(Root, "/escape", tar, noOverwriteDirNonDir: false, copyUidGid: false);

        Assert.True(File.Exists(Path.Combine(Root, "tmp", name)));
        Assert.False(File.Exists(Path.Combine("/tmp", name)));
    }

    [Fact]
    public async Task Extract_ToAFile_IsNotADirectory()
    {
        var e = await Assert.ThrowsAsync<ContainerPathException>(() =>
            ContainerFiles.ExtractAsync(Root, "/etc/hostname", new MemoryStream(new byte[1024]), false, false));

        Assert.Equal(ContainerPathError.NotADirectory, e.Error);
    }

    [Fact]
    public async Task Extract_Missing_IsNotFound()
    {
        var e = await Assert.ThrowsAsync<ContainerPathException>(() =>
            ContainerFiles.ExtractAsync(Root, "/none", new MemoryStream(new byte[1024]), false, false));

        Assert.Equal(ContainerPathError.NotFound, e.Error);
    }

    [Fact]
    public async Task Extract_NoOverwriteDirNonDir_RefusesAFileOverADirectory()
    {
        using var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "conf.d") { DataStream = new MemoryStream("x"u8.ToArray()) });
        }
        tar.Position = 0;

        var e = await Assert.ThrowsAsync<ContainerPathException>(() => ContainerFiles.ExtractAsync(Root, "/etc", tar, true, false));

        Assert.Equal(ContainerPathError.Conflict, e.Error);
        Assert.True(Directory.Exists(Path.Combine(Root, "etc", "conf.d")));
    }

    [Fact]
    public async Task Export_EverythingFromTheRoot()
    {
        using var tar = new MemoryStream();
        await ContainerFiles.ExportAsync(Root, tar);

        var entries = await ReadTar(tar);
        Assert.Contains("etc/hostname", entries.Select(e => e.Name));
        Assert.Equal(TarEntryType.SymbolicLink, entries.Single(e => e.Name == "link").Type);
    }
}
