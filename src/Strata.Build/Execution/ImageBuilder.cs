using System.Globalization;
using System.Text.Json;
using Strata.Build.Context;
using Strata.Build.Instructions;
using Strata.Build.Stages;
using Strata.Build.Syntax;
using Strata.Images;
using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Build.Execution;

/// <summary>What to build: the context, the Dockerfile, the names and labels to give the result.</summary>
public sealed record BuildRequest
{
    public required string ContextDirectory { get; init; }

    /// <summary>-f; null looks for Containerfile, then Dockerfile, in the context (podman's order).</summary>
    public string? DockerfilePath { get; init; }

    public BuildOptions Options { get; init; } = new();

    /// <summary>-t names; none names the image localhost/ID12:latest, as a load of an unnamed image does.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>--label KEY=VALUE, set on the final image over the Dockerfile's LABELs.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>SOURCE_DATE_EPOCH: the time written into the config, history and the files of new layers.</summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }
}

/// <summary>The built image: its ID (the config's digest), manifest and the names it was given.</summary>
public sealed record BuildResult(Digest ImageId, Digest Manifest, IReadOnlyList<string> Names, IReadOnlyList<string> UnusedBuildArgs);

/// <summary>
/// Builds an image from a Dockerfile into the local store, stage by stage as the <see cref="StageGraph"/>
/// orders them. FROM takes an image already in the store (no pull yet), scratch or an earlier stage; the
/// metadata instructions change the config; COPY from the context adds a reproducible layer. RUN, ADD,
/// COPY --from and ONBUILD triggers are refused with the instruction's location until the executor has them.
/// Progress is written in the classic builder's form ("Step 1/5 : FROM alpine").
/// </summary>
public sealed class ImageBuilder(ImageService store, TextWriter? progress = null)
{
    private static readonly string[] DefaultNames = ["Containerfile", "Dockerfile"];

    public async Task<BuildResult> BuildAsync(BuildRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var contextDirectory = Path.GetFullPath(request.ContextDirectory);
        var dockerfilePath = request.DockerfilePath is { } given
            ? Path.GetFullPath(given)
            : DefaultNames.Select(n => Path.Combine(contextDirectory, n)).FirstOrDefault(File.Exists)
              ?? throw new BuildContextException($"no Containerfile or Dockerfile found in {contextDirectory}");
        var text = await File.ReadAllTextAsync(dockerfilePath, cancellationToken).ConfigureAwait(false);
        var dockerfile = Dockerfile.Parse(text, Path.GetFileName(dockerfilePath));
        var graph = StageGraph.Build(dockerfile, request.Options);
        var context = new BuildContext(contextDirectory, IgnoreFile.Load(contextDirectory, dockerfilePath));
        var created = request.SourceDateEpoch ?? DateTimeOffset.UtcNow;
        var steps = graph.Needed.Sum(s => 1 + s.Stage.Instructions.Count);
        var step = 0;

        // Held until the names are recorded, so a prune cannot sweep the layers and config being written.
        using var storeLock = StoreLock.Shared(store.Root);
        var built = new Dictionary<int, StageImage>();
        foreach (var stage in graph.Needed)
        {
            await Report($"Step {++step}/{steps} : {stage.Stage.From.Node.Original.Trim()}").ConfigureAwait(false);
            var image = BaseOf(dockerfile, stage, built, request.Options, created);
            var scope = new StageScope(dockerfile, graph.Global, image.Container.Env ?? []);
            RootIndex? root = null;
            foreach (var instruction in stage.Stage.Instructions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Report($"Step {++step}/{steps} : {instruction.Node.Original.Trim()}").ConfigureAwait(false);
                var applied = scope.Apply(instruction);
                if (applied is ArgInstruction || image.ApplyMetadata(applied, scope))
                {
                    continue;
                }
                switch (applied)
                {
                    case CopyInstruction { From: null } copy:
                        root ??= await RootIndex.ReadAsync(store.Content, image.Layers, cancellationToken).ConfigureAwait(false);
                        List<LayerEntry> entries;
                        try
                        {
                            entries = CopyPlanner.Plan(context, copy, image.WorkingDir, root, request.SourceDateEpoch, created);
                        }
                        catch (Exception e) when (e is BuildContextException or IgnorePatternException)
                        {
                            throw At(dockerfile, instruction, e.Message);
                        }
                        var layer = await LayerWriter.WriteAsync(store.Content, entries, cancellationToken).ConfigureAwait(false);
                        root.Apply(entries);
                        image.AddLayer(layer, layer.Digest, $"COPY {string.Join(' ', copy.Sources.Concat(copy.Contents.Select(c => "<<" + c.Path)))} {copy.Destination} # buildkit");
                        await Report($" ---> {Short(layer.Digest)}").ConfigureAwait(false);
                        break;
                    case CopyInstruction:
                        throw At(dockerfile, instruction, "COPY --from is not supported by strata build yet");
                    case RunInstruction:
                        throw At(dockerfile, instruction, "RUN is not supported by strata build yet");
                    case AddInstruction:
                        throw At(dockerfile, instruction, "ADD is not supported by strata build yet; use COPY for files of the context");
                    default:
                        throw At(dockerfile, instruction, $"{instruction.Node.Keyword.ToUpperInvariant()} is not supported by strata build yet");
                }
            }
            built[stage.Index] = image;
        }

        var final = built[graph.Target.Index];
        foreach (var (key, value) in request.Labels)
        {
            final.SetLabel(key, value);
        }
        var config = final.SerializeConfig();
        var configDigest = Digest.Compute(config);
        store.Content.Write(configDigest, config);
        var manifest = new Manifest
        {
            SchemaVersion = 2,
            MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = configDigest, Size = config.Length },
            Layers = final.Layers,
        };
        var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, ImageJsonContext.Default.Manifest);
        var manifestDigest = Digest.Compute(manifestBytes);
        store.Content.Write(manifestDigest, manifestBytes);

        var names = request.Tags.Count > 0
            ? request.Tags.Select(t => ImageName.Parse(t).ToString()).Distinct(StringComparer.Ordinal).ToList()
            : [$"localhost/{configDigest.Encoded[..12]}:latest"];
        var size = config.Length + manifestBytes.Length + final.Layers.Sum(l => l.Size);
        var now = DateTimeOffset.UtcNow;
        store.Metadata.PutImages(names.Select(n => new ImageRecord(n, manifestDigest, MediaTypes.OciManifest, manifestDigest, configDigest, size, final.Created, now)));
        await Report($"Successfully built {Short(configDigest)}").ConfigureAwait(false);
        foreach (var name in names)
        {
            await Report($"Successfully tagged {name}").ConfigureAwait(false);
        }
        return new BuildResult(configDigest, manifestDigest, names, graph.UnusedBuildArgs);
    }

    private StageImage BaseOf(Dockerfile dockerfile, ResolvedStage stage, Dictionary<int, StageImage> built, BuildOptions options, DateTimeOffset created)
    {
        switch (stage.Base)
        {
            case StageBase.Scratch:
                return StageImage.Scratch(stage.Platform is { } p ? BuildPlatform.Parse(p) : options.TargetPlatform, created);
            case StageBase.Stage s:
                var parent = built[s.Index];
                return StageImage.From(parent.Config, parent.Layers, created);
            default:
                var reference = ((StageBase.Image)stage.Base).Reference;
                Image image;
                try
                {
                    image = store.Load(reference);
                }
                catch (ImageException e) when (e.Code == ImageErrorCode.ImageNotFound)
                {
                    throw At(dockerfile, stage.Stage.From, $"base image {reference} is not in the local store: pull it first (strata pull {reference})");
                }
                if (StageImage.OnBuildTriggers(image.Config).Count > 0)
                {
                    throw At(dockerfile, stage.Stage.From, $"{reference} has ONBUILD triggers, which strata build does not run yet");
                }
                return StageImage.From(image.Config, image.Manifest.Layers ?? [], created);
        }
    }

    private static DockerfileEvaluationException At(Dockerfile dockerfile, Instruction instruction, string message) =>
        new(dockerfile.FileName, instruction.Node.StartLine, instruction.Node.EndLine, message);

    private static string Short(Digest digest) => digest.Encoded[..12].ToString(CultureInfo.InvariantCulture);

    private async Task Report(string line)
    {
        if (progress is not null)
        {
            await progress.WriteLineAsync(line).ConfigureAwait(false);
        }
    }
}
