using System.CommandLine;
using Strata.Images.Archive;

namespace Strata.Cli.Commands;

/// <summary>`strata save` and `strata load`: flags onto <see cref="ImageArchive"/>, spelled as docker and podman spell them.</summary>
public static class ArchiveCommands
{
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        GlobalFlags.AddTo(root);
        root.Subcommands.Add(Save());
        root.Subcommands.Add(Load());
    }

    private static Command Save()
    {
        var images = new Argument<string[]>("image") { Description = "Images to save, by name or ID.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "File (or directory for oci-dir) to write; standard output when omitted." };
        var format = new Option<string>("--format") { Description = "docker-archive (default), oci-archive or oci-dir.", DefaultValueFactory = _ => "docker-archive" };
        var command = new Command("save", "Save images to an archive.") { images, output, format };
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("save", async () =>
        {
            var archiveFormat = ArchiveFormats.Parse(parse.GetValue(format)!);
            var references = parse.GetValue(images)!;
            using var store = GlobalFlags.OpenStore(parse);
            var archive = new ImageArchive(store);
            if (parse.GetValue(output) is { } path && path != "-")
            {
                await archive.SaveAsync(references, path, archiveFormat, ct).ConfigureAwait(false);
                return 0;
            }
            if (!Console.IsOutputRedirected)
            {
                throw new ArgumentException("refusing to write an archive to a terminal; use -o FILE or redirect standard output");
            }
            // A docker archive's uncompressed layers are written by seeking back over their headers, so the
            // tar is built in a temporary file and then copied to the pipe.
            var temp = Path.Combine(Path.GetTempPath(), $"strata-save-{Guid.NewGuid():N}.tar");
            try
            {
                await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose);
                await archive.SaveAsync(references, file, archiveFormat, ct).ConfigureAwait(false);
                file.Position = 0;
                await using var stdout = Console.OpenStandardOutput();
                await file.CopyToAsync(stdout, 1 << 20, ct).ConfigureAwait(false);
            }
            finally
            {
                File.Delete(temp);
            }
            return 0;
        }));
        return command;
    }

    private static Command Load()
    {
        var input = new Option<string>("--input", "-i") { Description = "Archive file or OCI layout directory to read; standard input when omitted." };
        var format = new Option<string?>("--format") { Description = "docker-archive, oci-archive or oci-dir (default: detected)." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the loaded names." };
        var command = new Command("load", "Load images from an archive.") { input, format, quiet };
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("load", async () =>
        {
            var archiveFormat = parse.GetValue(format) is { } f ? ArchiveFormats.Parse(f) : (ArchiveFormat?)null;
            using var store = GlobalFlags.OpenStore(parse);
            var archive = new ImageArchive(store);
            IReadOnlyList<LoadedImage> loaded;
            if (parse.GetValue(input) is { } path && path != "-")
            {
                loaded = await archive.LoadAsync(path, archiveFormat, ct).ConfigureAwait(false);
            }
            else
            {
                await using var stdin = Console.OpenStandardInput();
                loaded = await archive.LoadAsync(stdin, archiveFormat, ct).ConfigureAwait(false);
            }
            foreach (var image in loaded)
            {
                var line = parse.GetValue(quiet) ? image.Name
                    : image.Named ? $"Loaded image: {image.Name}"
                    : $"Loaded image ID: {image.Record.Config} (as {image.Name})";
                await Console.Out.WriteLineAsync(line).ConfigureAwait(false);
            }
            return 0;
        }));
        return command;
    }
}
