using System.CommandLine;
using System.Formats.Tar;
using System.Net.Http.Headers;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary>
/// `strata save` and `strata load` over the engine (GET /images/get, POST /images/load), spelled as docker and
/// podman spell them. An OCI layout travels as a tar: save's oci-dir is the engine's oci-archive unpacked
/// here, and a layout directory given to load is sent as a tar of it.
/// </summary>
public static class ArchiveCommands
{
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        GlobalFlags.AddTo(root);
        root.Subcommands.Add(Save());
        root.Subcommands.Add(Load());
    }

    internal static Command Save()
    {
        var images = new Argument<string[]>("image") { Description = "Images to save, by name or ID.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "File (or directory for oci-dir) to write; standard output when omitted." };
        var format = new Option<string>("--format") { Description = "docker-archive (default), oci-archive or oci-dir.", DefaultValueFactory = _ => "docker-archive" };
        format.AcceptOnlyFromAmong("docker-archive", "oci-archive", "oci-dir");
        var command = new Command("save", "Save one or more images to a tar archive (streamed to STDOUT by default).") { images, output, format };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "save", async (client, token) =>
        {
            var archiveFormat = parse.GetValue(format)!;
            var path = parse.GetValue(output) is { } o && o != "-" ? o : null;
            if (path is null && !Console.IsOutputRedirected)
            {
                throw new ArgumentException("refusing to write an archive to a terminal; use -o FILE or redirect standard output");
            }
            if (archiveFormat == "oci-dir" && path is null)
            {
                throw new ArgumentException("oci-dir is written to a directory: use -o DIRECTORY");
            }
            var query = string.Join('&', parse.GetValue(images)!.Select(n => "names=" + Uri.EscapeDataString(n)));
            // The format parameter is Strata's: docker's engine writes docker-archive only.
            if (archiveFormat != "docker-archive")
            {
                query += "&format=oci-archive";
            }
            using var response = await client.SendAsync(HttpMethod.Get, "/images/get?" + query, null, token).ConfigureAwait(false);
            await using var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
            if (archiveFormat == "oci-dir")
            {
                Directory.CreateDirectory(path!);
                await TarFile.ExtractToDirectoryAsync(body, path!, overwriteFiles: false, token).ConfigureAwait(false);
                return 0;
            }
            if (path is null)
            {
                await using var stdout = Console.OpenStandardOutput();
                await body.CopyToAsync(stdout, 1 << 20, token).ConfigureAwait(false);
                return 0;
            }
            if (Directory.Exists(path))
            {
                throw new IOException($"'{path}' is a directory; {archiveFormat} is written to a file (or use --format oci-dir)");
            }
            // Written beside the target and renamed, so a failed save leaves no partial archive under its name.
            var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
            try
            {
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
                {
                    await body.CopyToAsync(file, 1 << 20, token).ConfigureAwait(false);
                }
                File.Move(temp, path, overwrite: true);
            }
            finally
            {
                File.Delete(temp);
            }
            return 0;
        }, ct));
        return command;
    }

    internal static Command Load()
    {
        var input = new Option<string>("--input", "-i") { Description = "Archive (docker-archive or oci-archive, plain, gzip or zstd) or OCI layout directory to read; standard input when omitted." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the load output." };
        var format = new Option<string?>("--format") { Description = "docker-archive, oci-archive or oci-dir (default: detected by the engine)." };
        format.AcceptOnlyFromAmong("docker-archive", "oci-archive", "oci-dir");
        var command = new Command("load", "Load an image from a tar archive or STDIN.") { input, quiet, format };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "load", async (client, token) =>
        {
            var path = parse.GetValue(input) is { } i && i != "-" ? i : null;
            var layout = path is not null && Directory.Exists(path) ? path : null;
            var directory = layout is not null;
            // The engine tells the archive kinds apart by their contents; a format given is checked against the input's kind.
            if (parse.GetValue(format) is { } f && (f == "oci-dir") != directory)
            {
                throw new ArgumentException(directory ? $"'{path}' is a directory, not a {f}" : "oci-dir is read from a directory: use -i DIRECTORY");
            }
            string? layoutTar = null;
            try
            {
                Stream source;
                if (layout is not null)
                {
                    // An OCI layout directory: the engine reads archives, so it goes as one (an oci-archive).
                    layoutTar = Path.Combine(Path.GetTempPath(), $"strata-load-{Guid.NewGuid():N}.tar");
                    await TarFile.CreateFromDirectoryAsync(layout, layoutTar, includeBaseDirectory: false, token).ConfigureAwait(false);
                    source = new FileStream(layoutTar, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
                }
                else
                {
                    source = path is null ? Console.OpenStandardInput() : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
                }
                await using (source)
                {
                    using var content = new StreamContent(source, 1 << 20);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
                    using var response = await client.SendAsync(HttpMethod.Post, "/images/load?quiet=" + (parse.GetValue(quiet) ? "1" : "0"), content, token).ConfigureAwait(false);
                    await using var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
                    await JsonMessageView.ForConsole().ShowAsync(body, token).ConfigureAwait(false);
                }
            }
            finally
            {
                if (layoutTar is not null)
                {
                    File.Delete(layoutTar);
                }
            }
            return 0;
        }, ct));
        return command;
    }
}
