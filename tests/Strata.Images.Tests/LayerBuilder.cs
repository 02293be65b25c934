using System.Formats.Tar;
using System.IO.Compression;

namespace Strata.Images.Tests;

/// <summary>Builds layer tarballs in memory, hostile ones included.</summary>
public sealed class LayerBuilder : IDisposable
{
    private readonly MemoryStream _tar = new();
    private readonly TarWriter _writer;

    public LayerBuilder()
    {
        _writer = new TarWriter(_tar, TarEntryFormat.Pax, leaveOpen: true);
    }

    public static readonly DateTimeOffset Mtime = new(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public LayerBuilder Dir(string name, UnixFileMode mode = (UnixFileMode)0b111_101_101)
    {
        _writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode, ModificationTime = Mtime });
        return this;
    }

    public LayerBuilder File(string name, string content, UnixFileMode mode = (UnixFileMode)0b110_100_100, int uid = 0, int gid = 0, Dictionary<string, string>? pax = null)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name, pax ?? [])
        {
            Mode = mode,
            ModificationTime = Mtime,
            Uid = uid,
            Gid = gid,
            DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)),
        };
        _writer.WriteEntry(entry);
        return this;
    }

    public LayerBuilder Symlink(string name, string target)
    {
        _writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, ModificationTime = Mtime, Mode = (UnixFileMode)0b111_111_111 });
        return this;
    }

    public LayerBuilder HardLink(string name, string target)
    {
        _writer.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target, ModificationTime = Mtime });
        return this;
    }

    public LayerBuilder CharDevice(string name, int major, int minor)
    {
        _writer.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, name) { DeviceMajor = major, DeviceMinor = minor, Mode = (UnixFileMode)0b110_110_110, ModificationTime = Mtime });
        return this;
    }

    public LayerBuilder Fifo(string name)
    {
        _writer.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, name) { Mode = (UnixFileMode)0b110_100_100, ModificationTime = Mtime });
        return this;
    }

    public byte[] Tar()
    {
        _writer.Dispose();
        return _tar.ToArray();
    }

    public void Dispose()
    {
        _writer.Dispose();
        _tar.Dispose();
    }

    public static byte[] Gzip(byte[] tar)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(tar);
        }
        return output.ToArray();
    }

    public static byte[] Zstd(byte[] tar)
    {
        using var compressor = new ZstdSharp.Compressor();
        return compressor.Wrap(tar).ToArray();
    }
}
