using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Images;
using Strata.Images.Distribution;
using Strata.Images.Store;

namespace Strata.Cli.Commands;

/// <summary>`strata pull|push|images|rmi|tag|login|logout|image prune`: flags onto <see cref="ImageService"/>.</summary>
public static class ImageCommands
{
    private static readonly string[] ImagesHeader = ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"];

    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        GlobalFlags.AddTo(root);
        root.Subcommands.Add(Pull());
        root.Subcommands.Add(Push());
        root.Subcommands.Add(Images());
        root.Subcommands.Add(Rmi());
        root.Subcommands.Add(Tag());
        root.Subcommands.Add(Login());
        root.Subcommands.Add(Logout());
        var image = new Command("image", "Manage images.");
        image.Subcommands.Add(Prune());
        image.Subcommands.Add(InspectCommand.Create(type: "image"));
        image.Subcommands.Add(Unpack());
        root.Subcommands.Add(image);
    }

    private static Command Pull()
    {
        var reference = new Argument<string>("image") { Description = "Image reference: [registry/]repository[:tag|@digest]." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the image ID." };
        var command = new Command("pull", "Pull an image from a registry.") { reference, quiet };
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("pull", async () =>
        {
            var name = ImageName.Parse(parse.GetValue(reference)!);
            using var store = GlobalFlags.OpenStore(parse);
            ImageRecord record;
            if (parse.GetValue(quiet))
            {
                record = await store.PullAsync(name, null, ct).ConfigureAwait(false);
                await Console.Out.WriteLineAsync(record.Config.ToString()).ConfigureAwait(false);
                return 0;
            }
            await Console.Out.WriteLineAsync($"Pulling {name}").ConfigureAwait(false);
            using (var view = new TransferProgressView("pull"))
            {
                record = await store.PullAsync(name, view, ct).ConfigureAwait(false);
            }
            await Console.Out.WriteLineAsync($"Digest: {record.Target}").ConfigureAwait(false);
            await Console.Out.WriteLineAsync($"Status: Downloaded image for {name}").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static Command Push()
    {
        var source = new Argument<string>("image") { Description = "Local image to push." };
        var destination = new Argument<string?>("destination") { Description = "Where to push it (default: the image's own name).", Arity = ArgumentArity.ZeroOrOne };
        var upload = new Option<string>("--upload")
        {
            Description = "How to upload blobs: auto (in chunks above --chunked-threshold), monolithic or chunked.",
            DefaultValueFactory = _ => "auto",
        };
        upload.AcceptOnlyFromAmong("auto", "monolithic", "chunked");
        var chunkSize = new Option<string>("--chunk-size")
        {
            Description = "Bytes per chunk of a chunked upload (16m by default; the registry's OCI-Chunk-Min-Length wins when larger).",
            DefaultValueFactory = _ => "16m",
        };
        var threshold = new Option<string>("--chunked-threshold")
        {
            Description = "With --upload auto, blobs larger than this are uploaded in chunks (64m by default).",
            DefaultValueFactory = _ => "64m",
        };
        var command = new Command("push", "Push an image to a registry.") { source, destination, upload, chunkSize, threshold };
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("push", async () =>
        {
            var src = parse.GetValue(source)!;
            var dest = ImageName.Parse(parse.GetValue(destination) ?? src);
            var options = new PushOptions
            {
                Mode = parse.GetValue(upload) switch { "monolithic" => UploadMode.Monolithic, "chunked" => UploadMode.Chunked, _ => UploadMode.Auto },
                ChunkSize = Format.ParseBytes(parse.GetValue(chunkSize)!),
                ChunkedThreshold = Format.ParseBytes(parse.GetValue(threshold)!),
            };
            using var store = GlobalFlags.OpenStore(parse);
            Oci.Image.Digest digest;
            using (var view = new TransferProgressView("push"))
            {
                digest = await store.PushAsync(src, dest, view, options, ct).ConfigureAwait(false);
            }
            await Console.Out.WriteLineAsync($"{dest.ManifestReference}: digest: {digest}").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static Command Images()
    {
        var format = new Option<string>("--format") { Description = "table (default) or json." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only image IDs." };
        var command = new Command("images", "List images in the store.") { format, quiet };
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("images", async () =>
        {
            using var store = GlobalFlags.OpenStore(parse);
            var now = DateTimeOffset.UtcNow;
            var rows = store.Metadata.ListImages().Select(r =>
            {
                var name = ImageName.Parse(r.Name);
                return (Record: r, Repository: name.FamiliarRepository, Tag: name.Tag ?? "<none>", Id: r.Config.Encoded[..12]);
            }).ToList();
            if (parse.GetValue(quiet))
            {
                await Output.WriteLinesAsync(rows.Select(r => r.Id).Distinct()).ConfigureAwait(false);
                return 0;
            }
            if (parse.GetValue(format) is "json")
            {
                var array = new JsonArray(rows.Select(r => (JsonNode)new JsonObject
                {
                    ["Name"] = r.Record.Name,
                    ["Repository"] = r.Repository,
                    ["Tag"] = r.Tag,
                    ["Id"] = r.Record.Config.ToString(),
                    ["Digest"] = r.Record.Target.ToString(),
                    ["Manifest"] = r.Record.Manifest.ToString(),
                    ["Created"] = r.Record.Created?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    ["Size"] = r.Record.Size,
                }).ToArray());
                await Output.WriteJsonAsync(array).ConfigureAwait(false);
                return 0;
            }
            await Output.WriteTableAsync(ImagesHeader, rows.Select(r => new[] { r.Repository, r.Tag, r.Id, Format.Ago(r.Record.Created, now), Format.Size(r.Record.Size) })).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static Command Rmi()
    {
        var references = new Argument<string[]>("image") { Description = "Images to remove, by name or ID.", Arity = ArgumentArity.OneOrMore };
        var force = new Option<bool>("--force", "-f") { Description = "Remove even if a container uses the image." };
        var command = new Command("rmi", "Remove images and the content only they used.") { references, force };
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("rmi", async () =>
        {
            using var store = GlobalFlags.OpenStore(parse);
            foreach (var reference in parse.GetValue(references)!)
            {
                await Output.WriteLinesAsync(store.Remove(reference, parse.GetValue(force)).Select(name => $"Untagged: {name}")).ConfigureAwait(false);
            }
            await Output.WriteLinesAsync(store.Prune().Blobs.Select(blob => $"Deleted: {blob}")).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static Command Prune()
    {
        var command = new Command("prune", "Remove blobs and snapshots no image or container uses.");
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("image prune", async () =>
        {
            using var store = GlobalFlags.OpenStore(parse);
            var result = store.Prune();
            await Output.WriteLinesAsync(result.Blobs.Select(blob => $"deleted blob: {blob}")).ConfigureAwait(false);
            await Output.WriteLinesAsync(result.Snapshots.Select(snapshot => $"deleted snapshot: {snapshot}")).ConfigureAwait(false);
            await Console.Out.WriteLineAsync($"Total reclaimed space: {Format.Size(result.Bytes)}").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static Command Unpack()
    {
        var reference = new Argument<string>("image") { Description = "Image to unpack." };
        var target = new Argument<string>("directory") { Description = "Directory to create; the layers are applied into DIRECTORY/rootfs, as `umoci unpack` does." };
        var command = new Command("unpack", "Apply an image's layers into a directory tree.") { reference, target };
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("image unpack", async () =>
        {
            using var store = GlobalFlags.OpenStore(parse);
            var image = store.Load(parse.GetValue(reference)!);
            var rootfs = Path.Combine(Path.GetFullPath(parse.GetValue(target)!), "rootfs");
            for (var i = 0; i < image.Manifest.Layers!.Count; i++)
            {
                await using var blob = store.Content.OpenRead(image.Manifest.Layers[i].Digest);
                var diffId = await Strata.Images.Unpack.LayerUnpacker.UnpackAsync(blob, rootfs, null, ct).ConfigureAwait(false);
                if (diffId != image.Config.RootFs.DiffIds[i])
                {
                    throw new ImageException(ImageErrorCode.DigestMismatch, $"layer {image.Manifest.Layers[i].Digest} has DiffID {diffId}, the config says {image.Config.RootFs.DiffIds[i]}");
                }
            }
            return 0;
        }));
        return command;
    }

    private static Command Tag()
    {
        var source = new Argument<string>("source") { Description = "Existing image." };
        var target = new Argument<string>("target") { Description = "New name." };
        var command = new Command("tag", "Give an image another name.") { source, target };
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("tag", () =>
        {
            using var store = GlobalFlags.OpenStore(parse);
            store.Tag(parse.GetValue(source)!, ImageName.Parse(parse.GetValue(target)!));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Login()
    {
        var registry = new Argument<string>("registry") { Description = "Registry host[:port]." };
        var username = new Option<string>("--username", "-u") { Description = "User name." };
        var password = new Option<string>("--password", "-p") { Description = "Password (prefer --password-stdin)." };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input." };
        var command = new Command("login", "Check and store credentials for a registry.") { registry, username, password, passwordStdin };
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("login", async () =>
        {
            var host = parse.GetValue(registry)!;
            var user = parse.GetValue(username) ?? throw new ArgumentException("--username is required");
            var secret = parse.GetValue(passwordStdin)
                ? (await Console.In.ReadToEndAsync(ct).ConfigureAwait(false)).TrimEnd('\n', '\r')
                : parse.GetValue(password) ?? throw new ArgumentException("--password or --password-stdin is required");
            using var store = GlobalFlags.OpenStore(parse);
            var credentials = CredentialStore.Default(parse.GetValue(GlobalFlags.AuthFile));
            using (var client = store.CreateClient(host))
            {
                client.Credential = new Credential(user, secret);
                await client.CheckAuthAsync(ct).ConfigureAwait(false);
            }
            credentials.Save(host, new Credential(user, secret));
            await Console.Out.WriteLineAsync("Login Succeeded!").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static Command Logout()
    {
        var registry = new Argument<string>("registry") { Description = "Registry host[:port]." };
        var command = new Command("logout", "Forget the credentials of a registry.") { registry };
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("logout", async () =>
        {
            var host = parse.GetValue(registry)!;
            var removed = CredentialStore.Default(parse.GetValue(GlobalFlags.AuthFile)).Remove(host);
            await Console.Out.WriteLineAsync(removed ? $"Removed login credentials for {host}" : $"Not logged in to {host}").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }
}
