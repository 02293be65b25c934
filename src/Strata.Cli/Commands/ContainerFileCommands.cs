using System.CommandLine;
using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using Strata.Cli.Client;
using Strata.Engine.Api.Types;

namespace Strata.Cli.Commands;

/// <summary>
/// `strata cp|export|diff` over the engine's archive, export and changes routes. cp follows docker's copy
/// rules: into an existing directory the source keeps its name, to a new path it takes that path's name,
/// "SRC/." copies a directory's contents; "-" is a tar on stdin or stdout.
/// </summary>
internal static class ContainerFileCommands
{
    private const string StatHeader = "X-Docker-Container-Path-Stat";
    private const uint GoModeDir = 1u << 31;

    public static Command Copy()
    {
        var source = new Argument<string>("source") { Description = "CONTAINER:SRC_PATH, a local path, or - (a tar on stdin)." };
        var destination = new Argument<string>("destination") { Description = "CONTAINER:DEST_PATH, a local path, or - (a tar on stdout)." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress progress output during copy." };
        var archive = new Option<bool>("--archive", "-a") { Description = "Archive mode (copy all uid/gid information)." };
        var followLink = new Option<bool>("--follow-link", "-L") { Description = "Always follow symbol link in SRC_PATH." };
        var command = new Command("cp", "Copy files/folders between a container and the local filesystem.") { source, destination, quiet, archive, followLink };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "cp", async (client, token) =>
        {
            var src = parse.GetValue(source)!;
            var dst = parse.GetValue(destination)!;
            var (srcContainer, srcPath) = Split(src);
            var (dstContainer, dstPath) = Split(dst);
            if (srcContainer is not null && dstContainer is not null)
            {
                throw new FormatException("copying between containers is not supported");
            }
            if (srcContainer is null && dstContainer is null)
            {
                throw new FormatException("must specify at least one container source");
            }
            long copied;
            if (srcContainer is not null)
            {
                copied = await FromContainerAsync(client, srcContainer, srcPath, dstPath, token).ConfigureAwait(false);
            }
            else
            {
                copied = await ToContainerAsync(client, srcPath, dstContainer!, dstPath, parse.GetValue(archive), token).ConfigureAwait(false);
            }
            if (!parse.GetValue(quiet) && !Console.IsErrorRedirected && dstPath != "-" && srcPath != "-")
            {
                await Console.Error.WriteLineAsync($"Successfully copied {Units.HumanSize(copied)} to {dst}").ConfigureAwait(false);
            }
            return 0;
        }, ct));
        return command;
    }

    /// <summary>docker's splitCpArg: "name:path" is a container's path unless it is an absolute or ./ local path.</summary>
    private static (string? Container, string Path) Split(string arg)
    {
        if (arg.StartsWith('/') || arg.StartsWith("./", StringComparison.Ordinal) || arg.StartsWith("../", StringComparison.Ordinal))
        {
            return (null, arg);
        }
        var colon = arg.IndexOf(':', StringComparison.Ordinal);
        return colon <= 0 ? (null, arg) : (arg[..colon], arg[(colon + 1)..]);
    }

    private static async Task<long> FromContainerAsync(EngineClient client, string container, string srcPath, string dstPath, CancellationToken token)
    {
        using var response = await client.SendAsync(HttpMethod.Get, $"/containers/{Uri.EscapeDataString(container)}/archive?path={Uri.EscapeDataString(srcPath)}", null, token).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
        if (dstPath == "-")
        {
            await using var stdout = Console.OpenStandardOutput();
            await body.CopyToAsync(stdout, token).ConfigureAwait(false);
            return 0;
        }
        var stat = ReadStat(response);
        var destination = Path.GetFullPath(dstPath);
        var contentsOnly = srcPath.EndsWith("/.", StringComparison.Ordinal);
        var isDir = (stat.Mode & GoModeDir) != 0;
        if (File.Exists(destination) && isDir)
        {
            throw new IOException("cannot copy a directory to a file");
        }
        if (!Directory.Exists(destination) && !File.Exists(destination) && (dstPath.EndsWith('/') || !Directory.Exists(Path.GetDirectoryName(destination))))
        {
            throw new IOException($"destination directory \"{dstPath}\" does not exist");
        }
        var parent = Directory.Exists(destination) ? destination : Path.GetDirectoryName(destination)!;
        var temp = Directory.CreateDirectory(Path.Combine(parent, $".strata-cp-{Guid.NewGuid():N}"));
        try
        {
            await TarFile.ExtractToDirectoryAsync(body, temp.FullName, overwriteFiles: true, token).ConfigureAwait(false);
            var extracted = Path.Combine(temp.FullName, stat.Name);
            var size = Size(extracted);
            if (Directory.Exists(destination))
            {
                MoveInto(extracted, contentsOnly && isDir ? destination : Path.Combine(destination, stat.Name));
            }
            else
            {
                MoveInto(extracted, destination);
            }
            return size;
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    private static async Task<long> ToContainerAsync(EngineClient client, string srcPath, string container, string dstPath, bool copyOwner, CancellationToken token)
    {
        var target = $"/containers/{Uri.EscapeDataString(container)}/archive";
        if (srcPath == "-")
        {
            await using var stdin = Console.OpenStandardInput();
            using var piped = new StreamContent(stdin);
            piped.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
            using var _ = await client.SendAsync(HttpMethod.Put, $"{target}?path={Uri.EscapeDataString(dstPath)}&noOverwriteDirNonDir=true", piped, token, streamed: false).ConfigureAwait(false);
            return 0;
        }
        var source = Path.GetFullPath(srcPath);
        var sourceIsDir = Directory.Exists(source);
        if (!sourceIsDir && !File.Exists(source))
        {
            throw new IOException($"could not find the file {srcPath} on the local filesystem");
        }
        ContainerPathStat? stat = null;
        try
        {
            using var head = await client.SendAsync(HttpMethod.Head, $"{target}?path={Uri.EscapeDataString(dstPath)}", null, token, streamed: false).ConfigureAwait(false);
            stat = ReadStat(head);
        }
        catch (DaemonException e) when (e.Status == 404)
        {
        }
        string extractDir, rootName;
        if (stat is not null && (stat.Mode & GoModeDir) != 0)
        {
            extractDir = dstPath;
            rootName = srcPath.EndsWith("/.", StringComparison.Ordinal) && sourceIsDir ? "" : Path.GetFileName(source.TrimEnd('/'));
        }
        else
        {
            if (stat is not null && sourceIsDir)
            {
                throw new IOException("cannot copy a directory to a file");
            }
            var trimmed = dstPath.TrimEnd('/');
            var slash = trimmed.LastIndexOf('/');
            extractDir = slash < 0 ? "." : slash == 0 ? "/" : trimmed[..slash];
            rootName = trimmed[(slash + 1)..];
        }
        var tar = new MemoryStream();
        long size;
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            size = await WriteTreeAsync(writer, source, rootName, token).ConfigureAwait(false);
        }
        tar.Position = 0;
        using var content = new StreamContent(tar);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
        using var put = await client.SendAsync(HttpMethod.Put, $"{target}?path={Uri.EscapeDataString(extractDir)}&noOverwriteDirNonDir=true" + (copyOwner ? "&copyUIDGID=true" : ""), content, token, streamed: false).ConfigureAwait(false);
        return size;
    }

    /// <summary>The file or tree at <paramref name="path"/> as entries under <paramref name="name"/> ("" for a directory's contents).</summary>
    private static async Task<long> WriteTreeAsync(TarWriter writer, string path, string name, CancellationToken token)
    {
        long size = 0;
        if (name.Length > 0)
        {
            await writer.WriteEntryAsync(path, name, token).ConfigureAwait(false);
            size += File.Exists(path) ? new FileInfo(path).Length : 0;
        }
        if (Directory.Exists(path) && new FileInfo(path).LinkTarget is null)
        {
            foreach (var child in Directory.EnumerateFileSystemEntries(path).Order(StringComparer.Ordinal))
            {
                var childName = name.Length > 0 ? name + "/" + Path.GetFileName(child) : Path.GetFileName(child);
                size += await WriteTreeAsync(writer, child, childName, token).ConfigureAwait(false);
            }
        }
        return size;
    }

    private static ContainerPathStat ReadStat(HttpResponseMessage response) =>
        response.Headers.TryGetValues(StatHeader, out var values) && values.FirstOrDefault() is { } header
            ? JsonSerializer.Deserialize(Encoding.UTF8.GetString(Convert.FromBase64String(header)), EngineApiJson.Default.ContainerPathStat)!
            : throw new IOException("the engine sent no " + StatHeader + " header");

    /// <summary>Moves a file or tree to <paramref name="destination"/>, merging into directories that exist and replacing files.</summary>
    private static void MoveInto(string source, string destination)
    {
        if (Directory.Exists(source) && new FileInfo(source).LinkTarget is null)
        {
            Directory.CreateDirectory(destination);
            foreach (var child in Directory.EnumerateFileSystemEntries(source))
            {
                MoveInto(child, Path.Combine(destination, Path.GetFileName(child)));
            }
            return;
        }
        if (Directory.Exists(destination) && new FileInfo(destination).LinkTarget is null)
        {
            throw new IOException($"cannot overwrite directory {destination} with non-directory {source}");
        }
        File.Move(source, destination, overwrite: true);
    }

    private static long Size(string path) => File.Exists(path) ? new FileInfo(path).Length
        : Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;

    public static Command Export()
    {
        var container = new Argument<string>("container") { Description = "Container whose filesystem to export." };
        var output = new Option<string?>("--output", "-o") { Description = "Write to a file, instead of STDOUT." };
        var command = new Command("export", "Export a container's filesystem as a tar archive.") { container, output };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "export", async (client, token) =>
        {
            var file = parse.GetValue(output);
            if (file is null && !Console.IsOutputRedirected)
            {
                throw new IOException("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            }
            using var response = await client.SendAsync(HttpMethod.Get, "/containers/" + Uri.EscapeDataString(parse.GetValue(container)!) + "/export", null, token).ConfigureAwait(false);
            await using var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
            await using Stream sink = file is null ? Console.OpenStandardOutput() : new FileStream(file, FileMode.Create, FileAccess.Write);
            await body.CopyToAsync(sink, token).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    public static Command Diff()
    {
        var container = new Argument<string>("container") { Description = "Container to inspect." };
        var command = new Command("diff", "Inspect changes to files or directories on a container's filesystem.") { container };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "diff", async (client, token) =>
        {
            var changes = await client.GetAsync("/containers/" + Uri.EscapeDataString(parse.GetValue(container)!) + "/changes", EngineApiJson.Default.IReadOnlyListFilesystemChange, token).ConfigureAwait(false);
            await Output.WriteLinesAsync(changes.Select(c => (c.Kind switch { 1 => "A", 2 => "D", _ => "C" }) + " " + c.Path)).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }
}
