using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Strata.Images;
using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Engine.Tests;

/// <summary>Images written straight into a store: one gzip layer, an OCI manifest and config. Linked into Strata.Engine.Api.Tests too.</summary>
internal static class TestImages
{
    /// <summary>A layer of one file, /etc/hello; the config names <paramref name="name"/> in a label.</summary>
    public static ImageRecord WriteSmall(ImageService images, string name) =>
        Write(images, name, null, writer =>
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "etc") { Mode = (UnixFileMode)0b111_101_101 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/hello") { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(name)) });
        });

    /// <summary>The host's static busybox with sh and true, and the directories the runtime mounts on.</summary>
    /// <param name="extraConfig">More of the image's config object, as JSON members (e.g. a Healthcheck).</param>
    public static ImageRecord WriteBusybox(ImageService images, string name, string? extraConfig = null) =>
        Write(images, name, extraConfig, writer =>
        {
            foreach (var dir in new[] { "bin", "proc", "sys", "dev", "tmp", "etc" })
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir) { Mode = (UnixFileMode)0b111_101_101 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox") { Mode = (UnixFileMode)0b111_101_101, DataStream = File.OpenRead("/bin/busybox") });
            foreach (var applet in new[] { "sh", "true", "sleep", "echo", "cat" })
                writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox", Mode = (UnixFileMode)0b111_111_111 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/passwd") { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream("root:x:0:0:root:/:/bin/sh\n"u8.ToArray()) });
        });

    /// <summary>
    /// The host's static busybox with the given applets linked (<see cref="AllApplets"/> for a small userland:
    /// httpd, wget, nc, nslookup…), the directories the runtime mounts on, and a page in /var/www for httpd.
    /// </summary>
    public static ImageRecord WriteBusybox(ImageService images, string name, IEnumerable<string> applets) =>
        Write(images, name, null, writer =>
        {
            foreach (var dir in new[] { "bin", "proc", "sys", "dev", "tmp", "etc", "var", "var/www" })
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir) { Mode = (UnixFileMode)0b111_101_101 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox") { Mode = (UnixFileMode)0b111_101_101, DataStream = File.OpenRead("/bin/busybox") });
            foreach (var applet in applets.Where(a => a != "busybox"))
                writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox", Mode = (UnixFileMode)0b111_111_111 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/passwd") { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream("root:x:0:0:root:/:/bin/sh\n"u8.ToArray()) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "var/www/index.html") { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream("hello from strata\n"u8.ToArray()) });
        });

    /// <summary>One file of <paramref name="bytes"/> random bytes (/big): a layer that takes a while to download.</summary>
    public static ImageRecord WriteLarge(ImageService images, string name, int bytes) =>
        Write(images, name, null, writer =>
        {
            var data = new byte[bytes];
            System.Security.Cryptography.RandomNumberGenerator.Fill(data);
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "big") { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(data) });
        });

    /// <summary>The programs <see cref="WriteRedis"/> takes from the host (Debian's redis-server and redis-tools).</summary>
    public static readonly string[] RedisPrograms = ["/usr/bin/redis-server", "/usr/bin/redis-cli"];

    /// <summary>
    /// A Redis server image from the host's Debian binaries, as the official image is used: redis-server
    /// (in Debian a symlink to redis-check-rdb, which picks its role from argv[0]) and redis-cli, the shared
    /// libraries ldd names and the dynamic loader, each at the path the host has it with every symlink on the
    /// way (/lib -> usr/lib, /lib64 -> usr/lib64, the loader's link to /lib/...). Like the official image it
    /// serves on every interface with protected mode off (published ports arrive from outside the container)
    /// and works in /data.
    /// </summary>
    public static ImageRecord WriteRedis(ImageService images, string name) =>
        Write(images, name, "\"WorkingDir\":\"/data\",\"ExposedPorts\":{\"6379/tcp\":{}}", """["redis-server","--protected-mode","no"]""", writer =>
        {
            foreach (var dir in new[] { "proc", "sys", "dev", "tmp", "etc", "data" })
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir) { Mode = (UnixFileMode)0b111_101_101 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/passwd") { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream("root:x:0:0:root:/data:/bin/sh\n"u8.ToArray()) });
            var written = new HashSet<string>(StringComparer.Ordinal) { "proc", "sys", "dev", "tmp", "etc", "data" };
            foreach (var file in RedisPrograms.Concat(RedisPrograms.SelectMany(SharedLibraries)).Distinct(StringComparer.Ordinal))
                AddHostFile(writer, written, file);
        });

    /// <summary>The shared libraries and the loader a dynamic program needs, as ldd(1) names them.</summary>
    private static IEnumerable<string> SharedLibraries(string program)
    {
        var info = new System.Diagnostics.ProcessStartInfo("ldd", program) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(info)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"ldd {program} exited with {p.ExitCode}");
        // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)";
        // the vDSO ("linux-vdso.so.1 (0x...)") is the kernel's and has no file.
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Contains("=>", StringComparison.Ordinal) ? line[(line.IndexOf("=>", StringComparison.Ordinal) + 2)..].Trim() : line)
            .Select(rest => rest.Split(' ')[0])
            .Where(path => path.StartsWith('/'))
            .ToList();
    }

    /// <summary>
    /// A host file as the container will reach it: its path walked component by component as the kernel
    /// does, each symlink on the way written as that symlink (its text unchanged, so the container resolves
    /// it in its own root), each directory as a directory, then the file with the host's mode. A link is
    /// written before anything reached through it and an entry never twice: a later /lib64 link would replace
    /// a lib64/ directory written first, loader and all (as docker's unpack does), and every program would
    /// then fail execve with ENOENT.
    /// </summary>
    private static void AddHostFile(TarWriter writer, HashSet<string> written, string hostPath)
    {
        var pending = new LinkedList<string>(hostPath.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var resolved = "";
        for (var links = 0; pending.First is { } first;)
        {
            pending.RemoveFirst();
            if (first.Value == ".")
                continue;
            if (first.Value == "..")
            {
                resolved = resolved.Contains('/', StringComparison.Ordinal) ? resolved[..resolved.LastIndexOf('/')] : "";
                continue;
            }
            var path = resolved.Length == 0 ? first.Value : resolved + "/" + first.Value;
            var host = "/" + path;
            if (new FileInfo(host).LinkTarget is { } target)
            {
                if (written.Add(path))
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, path) { LinkName = target, Mode = (UnixFileMode)0b111_111_111 });
                if (++links > 40)
                    throw new IOException($"too many levels of symbolic links in {hostPath}");
                foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                    pending.AddFirst(part);
                if (target.StartsWith('/'))
                    resolved = "";
                continue;
            }
            if (Directory.Exists(host))
            {
                if (written.Add(path))
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, path) { Mode = File.GetUnixFileMode(host) });
            }
            else if (written.Add(path))
            {
                using var data = File.OpenRead(host);
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { Mode = File.GetUnixFileMode(host), DataStream = data });
            }
            resolved = path;
        }
    }

    /// <summary>Every applet the host's busybox has (`busybox --list`).</summary>
    public static IReadOnlyList<string> AllApplets()
    {
        var info = new System.Diagnostics.ProcessStartInfo("/bin/busybox", "--list") { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(info)!;
        var list = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        return list;
    }

    private static ImageRecord Write(ImageService images, string name, string? extraConfig, Action<TarWriter> layerContent) =>
        Write(images, name, extraConfig, """["sh"]""", layerContent);

    /// <param name="cmd">The config's Cmd, a JSON array.</param>
    private static ImageRecord Write(ImageService images, string name, string? extraConfig, string cmd, Action<TarWriter> layerContent)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            layerContent(writer);
        }
        var layer = new MemoryStream();
        using (var gzip = new GZipStream(layer, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(tar.ToArray());
        var layerBytes = layer.ToArray();
        var layerDigest = Digest.Compute(layerBytes);
        images.Content.Write(layerDigest, layerBytes);
        var config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"{{{ImageService.HostArchitecture}}}","os":"linux","created":"2026-01-02T03:04:05Z","config":{"Cmd":{{{cmd}}},"Labels":{"name":"{{{name}}}"}{{{(extraConfig is null ? "" : "," + extraConfig)}}}},"rootfs":{"type":"layers","diff_ids":["{{{Digest.Compute(tar.ToArray())}}}"]}}""");
        var configDigest = Digest.Compute(config);
        images.Content.Write(configDigest, config);
        var manifest = Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","config":{"mediaType":"{{{MediaTypes.OciConfig}}}","digest":"{{{configDigest}}}","size":{{{config.Length}}}},"layers":[{"mediaType":"{{{MediaTypes.OciLayerGzip}}}","digest":"{{{layerDigest}}}","size":{{{layerBytes.Length}}}}]}""");
        var manifestDigest = Digest.Compute(manifest);
        images.Content.Write(manifestDigest, manifest);
        var record = new ImageRecord(ImageName.Parse(name).ToString(), manifestDigest, MediaTypes.OciManifest, manifestDigest, configDigest,
            config.Length + layerBytes.Length, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), DateTimeOffset.UnixEpoch);
        images.Metadata.PutImage(record);
        return record;
    }
}
