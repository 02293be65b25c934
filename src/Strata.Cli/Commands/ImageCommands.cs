using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Strata.Cli.Client;
using Strata.Engine.Api.Daemon;
using Strata.Engine.Api.Router.Image;
using Strata.Engine.Api.Types;
using Strata.Images;
using Strata.Images.Distribution;

namespace Strata.Cli.Commands;

/// <summary>
/// `strata pull|push|images|rmi|tag|history|login|logout` and `strata image …`: docker's image verbs, flags
/// and output over the engine's image routes (a daemon, or the engine in-process). `image unpack`, a tool
/// with no API, reads the store itself.
/// </summary>
public static class ImageCommands
{
    private const string ImagesTable = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    private const string ImagesDigestsTable = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    private const string HistoryTable = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";

    /// <summary>docker's image list column names.</summary>
    private static readonly Dictionary<string, string> ImagesHeaders = new(StringComparer.Ordinal)
    {
        ["ID"] = "IMAGE ID",
        ["Repository"] = "REPOSITORY",
        ["Tag"] = "TAG",
        ["Digest"] = "DIGEST",
        ["CreatedSince"] = "CREATED",
        ["CreatedAt"] = "CREATED AT",
        ["Size"] = "SIZE",
        ["Containers"] = "CONTAINERS",
        ["VirtualSize"] = "VIRTUAL SIZE",
        ["SharedSize"] = "SHARED SIZE",
        ["UniqueSize"] = "UNIQUE SIZE",
    };

    /// <summary>docker's history column names.</summary>
    private static readonly Dictionary<string, string> HistoryHeaders = new(StringComparer.Ordinal)
    {
        ["ID"] = "IMAGE",
        ["CreatedSince"] = "CREATED",
        ["CreatedAt"] = "CREATED AT",
        ["CreatedBy"] = "CREATED BY",
        ["Size"] = "SIZE",
        ["Comment"] = "COMMENT",
    };

    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        GlobalFlags.AddTo(root);
        root.Subcommands.Add(Pull());
        root.Subcommands.Add(Push());
        root.Subcommands.Add(Images("images"));
        root.Subcommands.Add(Rmi("rmi"));
        root.Subcommands.Add(Tag());
        root.Subcommands.Add(History());
        root.Subcommands.Add(Login());
        root.Subcommands.Add(Logout());
        var image = new Command("image", "Manage images.");
        image.Subcommands.Add(Pull());
        image.Subcommands.Add(Push());
        image.Subcommands.Add(Images("ls"));
        image.Subcommands.Add(Rmi("rm"));
        image.Subcommands.Add(Tag());
        image.Subcommands.Add(History());
        image.Subcommands.Add(ArchiveCommands.Save());
        image.Subcommands.Add(ArchiveCommands.Load());
        image.Subcommands.Add(Prune());
        image.Subcommands.Add(InspectCommand.Create(type: "image"));
        image.Subcommands.Add(Unpack());
        root.Subcommands.Add(image);
    }

    private static Command Pull()
    {
        var reference = new Argument<string>("image") { Description = "Image reference: [registry/]repository[:tag|@digest]." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress verbose output: print only the image's reference." };
        var platform = new Option<string?>("--platform") { Description = "Set platform if server is multi-platform capable (linux/ARCH)." };
        var command = new Command("pull", "Download an image from a registry.") { reference, quiet, platform };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "pull", async (client, token) =>
        {
            var name = ImageName.Parse(parse.GetValue(reference)!);
            var q = parse.GetValue(quiet);
            // -q reads the progress all the same (its last line may be an error) but draws none of it.
            var view = q ? new JsonMessageView(TextWriter.Null, terminal: false) : JsonMessageView.ForConsole();
            await ImagePull.PullAsync(client, parse, parse.GetValue(reference)!, view, token, parse.GetValue(platform)).ConfigureAwait(false);
            if (q)
            {
                await Console.Out.WriteLineAsync(name.ToString()).ConfigureAwait(false);
            }
            return 0;
        }, ct));
        return command;
    }

    private static Command Push()
    {
        var source = new Argument<string>("image") { Description = "Local image to push." };
        var destination = new Argument<string?>("destination") { Description = "Where to push it (default: the image's own name).", Arity = ArgumentArity.ZeroOrOne };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress verbose output." };
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
        var command = new Command("push", "Upload an image to a registry.") { source, destination, quiet, upload, chunkSize, threshold };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "push", async (client, token) =>
        {
            var src = parse.GetValue(source)!;
            var named = ImageName.TryParse(src, out var srcName, out _) ? srcName : null;
            var dest = parse.GetValue(destination) is { } d ? ImageName.Parse(d) : named ?? ImageName.Parse(src);
            var query = new List<string>();
            string path;
            if (parse.GetValue(destination) is null || (named is not null && named.ToString() == dest.ToString()))
            {
                // docker push's own request: the repository and its tag.
                path = "/images/" + dest.FamiliarRepository + "/push";
                query.Add("tag=" + Uri.EscapeDataString(dest.Tag ?? "latest"));
            }
            else
            {
                // Strata's destination parameter (podman's): one image pushed under another name.
                path = "/images/" + src + "/push";
                query.Add("destination=" + Uri.EscapeDataString(dest.ToString()));
            }
            if (parse.GetValue(upload) is { } mode && mode != "auto")
            {
                query.Add("upload=" + mode);
            }
            if (parse.GetResult(chunkSize) is { Implicit: false })
            {
                query.Add("chunkSize=" + Format.ParseBytes(parse.GetValue(chunkSize)!).ToString(CultureInfo.InvariantCulture));
            }
            if (parse.GetResult(threshold) is { Implicit: false })
            {
                query.Add("chunkedThreshold=" + Format.ParseBytes(parse.GetValue(threshold)!).ToString(CultureInfo.InvariantCulture));
            }
            if (!parse.GetValue(GlobalFlags.TlsVerify))
            {
                query.Add("tlsVerify=false");
            }
            // A push always carries X-Registry-Auth (docker's CLI sends "{}" without credentials): moby reads
            // the body for credentials otherwise.
            var headers = ImagePull.AuthHeader(parse, dest.Registry);
            headers.TryAdd(RegistryAuth.Header, ImagePull.Encode(new AuthConfig()));
            using var response = await client.SendAsync(HttpMethod.Post, path + "?" + string.Join('&', query), null, token, headers: headers).ConfigureAwait(false);
            await using var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
            var q = parse.GetValue(quiet);
            await (q ? new JsonMessageView(TextWriter.Null, terminal: false) : JsonMessageView.ForConsole()).ShowAsync(body, token).ConfigureAwait(false);
            if (q)
            {
                await Console.Out.WriteLineAsync(dest.ToString()).ConfigureAwait(false);
            }
            return 0;
        }, ct));
        return command;
    }

    private static Command Images(string name)
    {
        var repository = new Argument<string?>("repository") { Description = "REPOSITORY[:TAG] to list.", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all", "-a") { Description = "Show all images (default hides intermediate images)." };
        var digests = new Option<bool>("--digests") { Description = "Show digests." };
        var filter = FilterFlag.Create("Filter output based on conditions provided (dangling, label, before, since, reference, until).");
        var format = new Option<string?>("--format") { Description = "table (default), json, or a template: 'table {{.Repository}}\\t{{.ID}}'." };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs." };
        var command = new Command(name, "List images.") { repository, all, digests, filter, format, noTrunc, quiet };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "images", async (client, token) =>
        {
            var filters = (parse.GetValue(filter) ?? []).ToList();
            if (parse.GetValue(repository) is { } reference)
            {
                filters.Add("reference=" + reference);
            }
            var query = "?all=" + (parse.GetValue(all) ? "1" : "0") + FilterFlag.Query(filters);
            var images = await client.GetAsync("/images/json" + query, EngineApiJson.Default.IReadOnlyListImageSummary, token).ConfigureAwait(false);
            var template = parse.GetValue(quiet) ? "{{.ID}}" : parse.GetValue(format);
            var showDigests = parse.GetValue(digests) || (template?.Contains("{{.Digest}}", StringComparison.Ordinal) ?? false);
            var listFormat = ListFormat.Parse(template, parse.GetValue(digests) ? ImagesDigestsTable : ImagesTable, ImagesHeaders);
            await listFormat.WriteAsync(ImageRows(images, DateTimeOffset.UtcNow, !parse.GetValue(noTrunc), showDigests), Console.Out).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    /// <summary>
    /// docker's imageFormat: a row per repository and tag of each image (per digest too when digests are
    /// shown), a row per repository known only by digest, "&lt;none&gt;" where a part is missing.
    /// </summary>
    internal static IEnumerable<IReadOnlyDictionary<string, string?>> ImageRows(IReadOnlyList<ImageSummary> images, DateTimeOffset now, bool trunc, bool showDigests)
    {
        ArgumentNullException.ThrowIfNull(images);
        foreach (var image in images)
        {
            var tags = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var digests = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var order = new List<string>();
            foreach (var tagged in image.RepoTags)
            {
                var colon = tagged.LastIndexOf(':');
                if (colon > tagged.LastIndexOf('/'))
                {
                    Add(tags, order, tagged[..colon], tagged[(colon + 1)..]);
                }
            }
            foreach (var digested in image.RepoDigests)
            {
                var at = digested.IndexOf('@', StringComparison.Ordinal);
                if (at > 0)
                {
                    Add(digests, null, digested[..at], digested[(at + 1)..]);
                }
            }
            if (tags.Count == 0 && digests.Count == 0)
            {
                yield return ImageRow(image, "<none>", "<none>", "<none>", now, trunc);
                continue;
            }
            foreach (var repo in order)
            {
                var repoDigests = showDigests && digests.TryGetValue(repo, out var d) ? d : [];
                digests.Remove(repo);
                foreach (var tag in tags[repo])
                {
                    if (repoDigests.Count == 0)
                    {
                        yield return ImageRow(image, repo, tag, "<none>", now, trunc);
                    }
                    foreach (var digest in repoDigests)
                    {
                        yield return ImageRow(image, repo, tag, digest, now, trunc);
                    }
                }
            }
            foreach (var (repo, repoDigests) in digests)
            {
                if (!showDigests)
                {
                    yield return ImageRow(image, repo, "<none>", "<none>", now, trunc);
                    continue;
                }
                foreach (var digest in repoDigests)
                {
                    yield return ImageRow(image, repo, "<none>", digest, now, trunc);
                }
            }
        }

        static void Add(Dictionary<string, List<string>> map, List<string>? order, string repo, string value)
        {
            if (!map.TryGetValue(repo, out var list))
            {
                map[repo] = list = [];
                order?.Add(repo);
            }
            list.Add(value);
        }
    }

    /// <summary>docker's imageContext: each field as the text it prints.</summary>
    private static Dictionary<string, string?> ImageRow(ImageSummary image, string repository, string tag, string digest, DateTimeOffset now, bool trunc)
    {
        var created = DateTimeOffset.FromUnixTimeSeconds(image.Created);
        return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["ID"] = trunc ? ShortId(image.Id) : image.Id,
            ["Repository"] = repository,
            ["Tag"] = tag,
            ["Digest"] = digest,
            ["CreatedSince"] = HumanDuration.Format(now - created) + " ago",
            ["CreatedAt"] = GoText.TimeString(created),
            ["Size"] = Units.HumanSize(image.Size, 3),
            ["Containers"] = image.Containers < 0 ? "N/A" : image.Containers.ToString(CultureInfo.InvariantCulture),
            ["VirtualSize"] = Units.HumanSize(image.VirtualSize ?? image.Size, 3),
            ["SharedSize"] = image.SharedSize < 0 ? "N/A" : Units.HumanSize(image.SharedSize, 3),
            ["UniqueSize"] = image.SharedSize < 0 ? "N/A" : Units.HumanSize(image.Size - image.SharedSize, 3),
        };
    }

    /// <summary>stringid.TruncateID: the part after "sha256:", 12 characters.</summary>
    private static string ShortId(string id)
    {
        var colon = id.IndexOf(':', StringComparison.Ordinal);
        var hex = colon >= 0 ? id[(colon + 1)..] : id;
        return hex.Length > 12 ? hex[..12] : hex;
    }

    private static Command Rmi(string name)
    {
        var references = new Argument<string[]>("image") { Description = "Images to remove, by name or ID.", Arity = ArgumentArity.OneOrMore };
        var force = new Option<bool>("--force", "-f") { Description = "Force removal of the image." };
        var noPrune = new Option<bool>("--no-prune") { Description = "Do not delete untagged parents." };
        var command = new Command(name, "Remove one or more images.") { references, force, noPrune };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "rmi", async (client, token) =>
        {
            var query = "?force=" + (parse.GetValue(force) ? "1" : "0") + "&noprune=" + (parse.GetValue(noPrune) ? "1" : "0");
            // docker rmi goes on past an image it cannot remove and fails at the end.
            return await ContainerCommands.EachAsync(parse.GetValue(references)!, async reference =>
            {
                using var response = await client.SendAsync(HttpMethod.Delete, "/images/" + reference + query, null, token, streamed: false).ConfigureAwait(false);
                var items = await EngineClient.ReadJsonAsync(response, EngineApiJson.Default.IReadOnlyListImageDeleteResponseItem, token).ConfigureAwait(false);
                await Output.WriteLinesAsync(items.Select(i => i.Untagged is { Length: > 0 } u ? "Untagged: " + u : "Deleted: " + i.Deleted)).ConfigureAwait(false);
            }, printNames: false).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static Command Tag()
    {
        var source = new Argument<string>("source") { Description = "Existing image: SOURCE_IMAGE[:TAG] or an ID." };
        var target = new Argument<string>("target") { Description = "New name: TARGET_IMAGE[:TAG]." };
        var command = new Command("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.") { source, target };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "tag", async (client, token) =>
        {
            var name = ImageName.Parse(parse.GetValue(target)!);
            if (name.Digest is not null)
            {
                throw new FormatException("refusing to create a tag with a digest reference");
            }
            var path = "/images/" + parse.GetValue(source) + "/tag?repo=" + Uri.EscapeDataString(name.FamiliarRepository) + "&tag=" + Uri.EscapeDataString(name.Tag ?? "latest");
            using var _ = await client.SendAsync(HttpMethod.Post, path, null, token, streamed: false).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static Command History()
    {
        var reference = new Argument<string>("image") { Description = "Image by name or ID." };
        var format = new Option<string?>("--format") { Description = "table (default), json, or a template: 'table {{.ID}}\\t{{.CreatedBy}}'." };
        var human = new Option<bool>("--human", "-H") { Description = "Print sizes and dates in human readable format.", DefaultValueFactory = _ => true };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs." };
        var command = new Command("history", "Show the history of an image.") { reference, format, human, noTrunc, quiet };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "history", async (client, token) =>
        {
            var items = await client.GetAsync("/images/" + parse.GetValue(reference) + "/history", EngineApiJson.Default.IReadOnlyListHistoryItem, token).ConfigureAwait(false);
            var template = parse.GetValue(quiet) ? "{{.ID}}" : parse.GetValue(format);
            var now = DateTimeOffset.UtcNow;
            var trunc = !parse.GetValue(noTrunc);
            var isHuman = parse.GetValue(human);
            await ListFormat.Parse(template, HistoryTable, HistoryHeaders).WriteAsync(items.Select(h => HistoryRow(h, now, trunc, isHuman)), Console.Out).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    /// <summary>docker's historyContext: each field as the text it prints.</summary>
    internal static IReadOnlyDictionary<string, string?> HistoryRow(HistoryItem h, DateTimeOffset now, bool trunc, bool human)
    {
        ArgumentNullException.ThrowIfNull(h);
        var created = DateTimeOffset.FromUnixTimeSeconds(h.Created);
        var createdAt = created.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture).Replace("+00:00", "Z", StringComparison.Ordinal);
        var createdBy = h.CreatedBy.Replace('\t', ' ');
        return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["ID"] = trunc ? ShortId(h.Id) : h.Id,
            ["CreatedSince"] = human ? HumanDuration.Format(now - created) + " ago" : createdAt,
            ["CreatedAt"] = createdAt,
            ["CreatedBy"] = trunc ? GoText.Ellipsis(createdBy, 45) : createdBy,
            ["Size"] = human ? Units.HumanSize(h.Size, 3) : h.Size.ToString(CultureInfo.InvariantCulture),
            ["Comment"] = h.Comment,
        };
    }

    private static Command Prune()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused images, not just dangling ones." };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation." };
        var filter = FilterFlag.Create("Provide filter values (e.g. \"until=<timestamp>\").", shortAlias: false);
        var command = new Command("prune", "Remove unused images.") { all, force, filter };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "image prune", async (client, token) =>
        {
            var warning = parse.GetValue(all)
                ? "WARNING! This will remove all images without at least one container associated to them."
                : "WARNING! This will remove all dangling images.";
            if (!parse.GetValue(force) && !await Prompt.ConfirmAsync(warning, token).ConfigureAwait(false))
            {
                return 0;
            }
            var filters = (parse.GetValue(filter) ?? []).Append(parse.GetValue(all) ? "dangling=false" : "dangling=true");
            using var doc = await ApiText.SendDocumentAsync(client, HttpMethod.Post, "/images/prune?" + FilterFlag.Query(filters).TrimStart('&'), null, token).ConfigureAwait(false);
            var reclaimed = await SystemDataCommands.ImageSection(doc!).ConfigureAwait(false);
            await Console.Out.WriteLineAsync("Total reclaimed space: " + Units.HumanSize(reclaimed)).ConfigureAwait(false);
            return 0;
        }, ct));
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

    private static Command Login()
    {
        var registry = new Argument<string>("registry") { Description = "Registry host[:port]." };
        var username = new Option<string>("--username", "-u") { Description = "User name." };
        var password = new Option<string>("--password", "-p") { Description = "Password (prefer --password-stdin)." };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input." };
        var command = new Command("login", "Log in to a registry.") { registry, username, password, passwordStdin };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "login", async (client, token) =>
        {
            var host = parse.GetValue(registry)!;
            var user = parse.GetValue(username) ?? throw new ArgumentException("--username is required");
            var secret = parse.GetValue(passwordStdin)
                ? (await Console.In.ReadToEndAsync(token).ConfigureAwait(false)).TrimEnd('\n', '\r')
                : parse.GetValue(password) ?? throw new ArgumentException("--password or --password-stdin is required");
            // The engine checks the credentials at the registry (POST /auth); the client keeps them, as
            // docker's does, and sends them as X-Registry-Auth with each pull and push.
            var config = new AuthConfig { Username = user, Password = secret, ServerAddress = host };
            using var response = await client.SendAsync(HttpMethod.Post, "/auth" + ImagePull.TlsQuery(parse, "?"), EngineClient.Json(config, EngineApiJson.Default.AuthConfig), token, streamed: false).ConfigureAwait(false);
            var answer = await EngineClient.ReadJsonAsync(response, EngineApiJson.Default.AuthResponse, token).ConfigureAwait(false);
            CredentialStore.Default(parse.GetValue(GlobalFlags.AuthFile)).Save(host, new Credential(user, secret));
            await Console.Out.WriteLineAsync(answer.Status).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static Command Logout()
    {
        var registry = new Argument<string>("registry") { Description = "Registry host[:port]." };
        var command = new Command("logout", "Log out from a registry.") { registry };
        // Credentials live with the client (docker logout touches no engine either).
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("logout", async () =>
        {
            var host = parse.GetValue(registry)!;
            var removed = CredentialStore.Default(parse.GetValue(GlobalFlags.AuthFile)).Remove(host);
            await Console.Out.WriteLineAsync(removed ? $"Removing login credentials for {host}" : $"Not logged in to {host}").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }
}
