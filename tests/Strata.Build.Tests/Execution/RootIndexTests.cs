using System.Formats.Tar;
using System.IO.Compression;
using Strata.Build.Execution;
using Strata.Images;
using Strata.Oci.Image;

namespace Strata.Build.Tests.Execution;

public sealed class RootIndexTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("strata-rootindex-");
    private readonly ImageService _store;

    public RootIndexTests() => _store = new ImageService(new ImageServiceOptions { Root = Path.Combine(_dir.FullName, "store") });

    public void Dispose()
    {
        _store.Dispose();
        _dir.Delete(recursive: true);
    }

    // A layer blob in the store, from (name, type, link) entries; gzip-compressed when asked.
    private Descriptor Layer(bool gzip, params (string Name, TarEntryType Type, string? Link)[] entries)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, type, link) in entries)
            {
                var e = new PaxTarEntry(type, name);
                if (link is not null)
                {
                    e.LinkName = link;
                }
                if (type == TarEntryType.RegularFile)
                {
                    e.DataStream = new MemoryStream([1]);
                }
                writer.WriteEntry(e);
            }
        }
        var bytes = tar.ToArray();
        if (gzip)
        {
            var compressed = new MemoryStream();
            using (var z = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                z.Write(bytes);
            }
            bytes = compressed.ToArray();
        }
        var digest = Digest.Compute(bytes);
        _store.Content.Write(digest, bytes);
        return new Descriptor { Digest = digest, Size = bytes.Length, MediaType = gzip ? MediaTypes.OciLayerGzip : MediaTypes.OciLayer };
    }

    private async Task<RootIndex> Index() => await RootIndex.ReadAsync(_store.Content, [
        Layer(gzip: true,
            ("./usr/", TarEntryType.Directory, null), ("./usr/bin/", TarEntryType.Directory, null), ("./usr/bin/sh", TarEntryType.RegularFile, null),
            ("./bin", TarEntryType.SymbolicLink, "usr/bin"), ("./lib", TarEntryType.SymbolicLink, "/usr/lib"), ("./usr/lib/", TarEntryType.Directory, null),
            ("./etc/", TarEntryType.Directory, null), ("./etc/a", TarEntryType.RegularFile, null), ("./etc/loop", TarEntryType.SymbolicLink, "loop"),
            ("./opt/", TarEntryType.Directory, null), ("./opt/x/", TarEntryType.Directory, null), ("./escape", TarEntryType.SymbolicLink, "../../../etc")),
        Layer(gzip: false,
            ("etc/.wh.a", TarEntryType.RegularFile, null), ("opt/.wh..wh..opq", TarEntryType.RegularFile, null), ("opt/y/", TarEntryType.Directory, null)),
    ], CancellationToken.None);

    [Fact]
    public async Task Resolve_FollowsSymlinksInsideTheRoot()
    {
        var index = await Index();
        Assert.Equal("/usr/bin/tool", index.Resolve("/bin/tool"));
        Assert.Equal("/usr/bin", index.Resolve("/bin"));
        Assert.Equal("/usr/lib/x", index.Resolve("/lib/x"));
        Assert.Equal("/etc", index.Resolve("/escape"));
        // ".." after a symlink leaves the directory the link led to, as the kernel resolves it.
        Assert.Equal("/usr/etc", index.Resolve("/../bin/../etc"));
        Assert.Equal("/new/dir", index.Resolve("/new/dir"));
        Assert.Throws<Strata.Build.Context.BuildContextException>(() => index.Resolve("/etc/loop"));
    }

    [Fact]
    public async Task IsDirectory_AfterWhiteouts()
    {
        var index = await Index();
        Assert.True(index.IsDirectory("/"));
        Assert.True(index.IsDirectory("/bin"));
        Assert.True(index.IsDirectory("/usr/bin/"));
        Assert.False(index.IsDirectory("/usr/bin/sh"));
        Assert.False(index.IsDirectory("/etc/a"));
        Assert.False(index.IsDirectory("/opt/x"));
        Assert.True(index.IsDirectory("/opt/y"));
        Assert.False(index.IsDirectory("/missing"));
    }

    [Fact]
    public async Task Apply_RecordsANewLayer()
    {
        var index = RootIndex.Empty;
        index.Apply([new LayerEntry("app", TarEntryType.Directory, 0, 0, 0, DateTimeOffset.UnixEpoch)]);
        Assert.True(index.IsDirectory("/app"));
        var read = await Index();
        read.Apply([new LayerEntry("etc/.wh.loop", TarEntryType.RegularFile, 0, 0, 0, DateTimeOffset.UnixEpoch)]);
        Assert.Equal("/etc/loop", read.Resolve("/etc/loop"));
    }
}
