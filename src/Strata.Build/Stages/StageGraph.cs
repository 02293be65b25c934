using System.Globalization;
using Strata.Build.Instructions;
using Strata.Build.Syntax;

namespace Strata.Build.Stages;

/// <summary>What a stage starts from: scratch, an image reference, or an earlier stage's result.</summary>
public abstract record StageBase
{
    public sealed record Scratch : StageBase;

    public sealed record Image(string Reference) : StageBase;

    public sealed record Stage(int Index) : StageBase;
}

/// <summary>One stage with its FROM substituted and the stages it reads (FROM, COPY --from, RUN --mount from=).</summary>
public sealed record ResolvedStage(BuildStage Stage, string BaseName, string? Platform, StageBase Base, IReadOnlyList<int> DependsOn)
{
    public int Index => Stage.Index;

    public string? Name => Stage.Name;

    /// <summary>The name docker's progress shows: the AS name, else the index.</summary>
    public string DisplayName => Name ?? Index.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The stages of a Dockerfile and what each reads, the target (--target, else the last stage), and the stages
/// the target needs in an order that builds each after what it reads; the others are skipped, as BuildKit
/// skips them. A --from naming no stage is an image; an index names the stage at that position.
/// </summary>
public sealed class StageGraph
{
    private StageGraph(Dockerfile dockerfile, GlobalScope global, IReadOnlyList<ResolvedStage> stages, ResolvedStage target, IReadOnlyList<ResolvedStage> needed)
    {
        Dockerfile = dockerfile;
        Global = global;
        Stages = stages;
        Target = target;
        Needed = needed;
    }

    public Dockerfile Dockerfile { get; }

    public GlobalScope Global { get; }

    public IReadOnlyList<ResolvedStage> Stages { get; }

    public ResolvedStage Target { get; }

    /// <summary>The stages to build, each after the stages it reads; the target is last.</summary>
    public IReadOnlyList<ResolvedStage> Needed { get; }

    /// <summary>The --build-arg names no ARG on the way to the target declares (docker warns about them).</summary>
    public IReadOnlyList<string> UnusedBuildArgs =>
        [.. Global.Options.BuildArgs.Keys.Where(k => !Global.Consumed.Contains(k) && !BuildOptions.PredefinedArgs.Contains(k)).Order(StringComparer.Ordinal)];

    public static StageGraph Build(Dockerfile dockerfile, BuildOptions options)
    {
        ArgumentNullException.ThrowIfNull(dockerfile);
        ArgumentNullException.ThrowIfNull(options);
        if (dockerfile.Stages.Count == 0)
        {
            var last = dockerfile.Syntax.Nodes[^1];
            throw new DockerfileEvaluationException(dockerfile.FileName, last.StartLine, last.EndLine, "dockerfile contains no stages to build");
        }
        var global = GlobalScope.Evaluate(dockerfile, options);
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var stage in dockerfile.Stages)
        {
            if (stage.Name is { } name && !byName.TryAdd(name, stage.Index))
            {
                throw new DockerfileEvaluationException(dockerfile.FileName, stage.Line, stage.From.Node.EndLine, $"duplicate stage name {SyntaxNode.GoQuote(name)}");
            }
        }

        var resolved = new List<ResolvedStage>();
        var lexer = new ShellLexer(dockerfile.EscapeToken);
        foreach (var stage in dockerfile.Stages)
        {
            var baseName = GlobalScope.Expand(dockerfile, stage.From, lexer, stage.From.BaseName, global);
            if (baseName.Length == 0)
            {
                throw new DockerfileEvaluationException(dockerfile.FileName, stage.Line, stage.From.Node.EndLine,
                    $"base name ({stage.From.BaseName}) should not be blank");
            }
            var platform = stage.From.Platform is { } p ? GlobalScope.Expand(dockerfile, stage.From, lexer, p, global) : null;
            StageBase @base = baseName.Equals("scratch", StringComparison.OrdinalIgnoreCase)
                ? new StageBase.Scratch()
                : byName.TryGetValue(baseName.ToLowerInvariant(), out var baseIndex) ? new StageBase.Stage(baseIndex) : new StageBase.Image(baseName);
            var deps = new SortedSet<int>();
            if (@base is StageBase.Stage s)
            {
                deps.Add(s.Index);
            }

            // Walk the stage's ARG and ENV so a --from written with variables names what it will name at build
            // time. The base image's own ENV is not known here (it is read when the image is), so a --from
            // that relies on it resolves to the image of that name.
            var scope = new StageScope(dockerfile, global, []);
            foreach (var instruction in stage.Instructions)
            {
                var applied = scope.Apply(instruction);
                var froms = applied switch
                {
                    CopyInstruction { From: { } f } => [f],
                    RunInstruction run => run.Mounts.Where(m => m.From is not null).Select(m => m.From!),
                    _ => [],
                };
                foreach (var from in froms)
                {
                    if (ReferencedStage(dockerfile, byName, stage, instruction, from) is { } index)
                    {
                        deps.Add(index);
                    }
                }
            }
            resolved.Add(new ResolvedStage(stage, baseName, platform, @base, [.. deps]));
        }

        var target = resolved[^1];
        if (options.Target is { } targetName)
        {
            if (!byName.TryGetValue(targetName.ToLowerInvariant(), out var targetIndex))
            {
                var last = dockerfile.Syntax.Nodes[^1];
                throw new DockerfileEvaluationException(dockerfile.FileName, last.StartLine, last.EndLine,
                    $"target stage {SyntaxNode.GoQuote(targetName)} could not be found");
            }
            target = resolved[targetIndex];
        }

        var needed = new List<ResolvedStage>();
        var state = new Dictionary<int, bool>(); // false: being visited, true: done
        Visit(target);
        return new StageGraph(dockerfile, global, resolved, target, needed);

        void Visit(ResolvedStage stage)
        {
            if (state.TryGetValue(stage.Index, out var done))
            {
                if (!done)
                {
                    throw new DockerfileEvaluationException(dockerfile.FileName, stage.Stage.Line, stage.Stage.From.Node.EndLine,
                        $"circular dependency detected on stage: {stage.DisplayName}");
                }
                return;
            }
            state[stage.Index] = false;
            foreach (var dep in stage.DependsOn)
            {
                Visit(resolved[dep]);
            }
            state[stage.Index] = true;
            needed.Add(stage);
        }
    }

    // A --from value names a stage by its AS name or its position; anything else is an image reference.
    private static int? ReferencedStage(Dockerfile dockerfile, Dictionary<string, int> byName, BuildStage current, Instruction instruction, string from)
    {
        if (byName.TryGetValue(from.ToLowerInvariant(), out var named))
        {
            if (named == current.Index)
            {
                throw new DockerfileEvaluationException(dockerfile.FileName, instruction.Node.StartLine, instruction.Node.EndLine,
                    $"{SyntaxNode.GoQuote(from)} refers to the current stage");
            }
            return named;
        }
        if (int.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            if (index >= current.Index)
            {
                throw new DockerfileEvaluationException(dockerfile.FileName, instruction.Node.StartLine, instruction.Node.EndLine,
                    $"invalid stage index {SyntaxNode.GoQuote(from)}: a stage can only read an earlier stage");
            }
            return index;
        }
        return null;
    }
}
