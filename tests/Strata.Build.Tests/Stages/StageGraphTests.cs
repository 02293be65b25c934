using Strata.Build.Instructions;
using Strata.Build.Stages;
using Strata.Build.Syntax;

namespace Strata.Build.Tests.Stages;

public class StageGraphTests
{
    private static StageGraph Graph(string text, string? target = null, params (string Key, string Value)[] args) =>
        StageGraph.Build(Dockerfile.Parse(text), new BuildOptions
        {
            Target = target,
            BuildArgs = args.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal),
        });

    private static string[] Needed(StageGraph g) => [.. g.Needed.Select(s => s.DisplayName)];

    private const string MultiStage = """
        FROM golang:1.22 AS deps
        RUN go mod download

        FROM deps AS build
        RUN go build -o /out/app

        FROM alpine AS tools
        RUN apk add curl

        FROM scratch AS test
        COPY --from=build /out/app /app
        RUN --mount=type=bind,from=tools,source=/usr/bin/curl,target=/curl /app -test

        FROM scratch
        COPY --from=build /out/app /app
        """;

    [Fact]
    public void Build_WithoutTarget_BuildsTheLastStageAndOnlyWhatItNeeds()
    {
        var g = Graph(MultiStage);
        Assert.Equal(4, g.Target.Index);
        Assert.Equal(["deps", "build", "4"], Needed(g));
    }

    [Fact]
    public void Build_Target_SkipsStagesItDoesNotNeed()
    {
        Assert.Equal(["deps", "build", "tools", "test"], Needed(Graph(MultiStage, "test")));
        Assert.Equal(["tools"], Needed(Graph(MultiStage, "TOOLS")));
        Assert.Equal(["deps"], Needed(Graph(MultiStage, "deps")));
    }

    [Fact]
    public void Build_Bases_ScratchImageOrStage()
    {
        var g = Graph(MultiStage);
        Assert.Equal(new StageBase.Image("golang:1.22"), g.Stages[0].Base);
        Assert.Equal(new StageBase.Stage(0), g.Stages[1].Base);
        Assert.Equal(new StageBase.Scratch(), g.Stages[3].Base);
        Assert.Equal([1, 2], g.Stages[3].DependsOn);
    }

    [Fact]
    public void Build_CopyFromIndexOrImage()
    {
        var g = Graph("FROM alpine\nRUN x\nFROM scratch\nCOPY --from=0 /a /a\nCOPY --from=nginx:latest /etc/nginx/nginx.conf /nginx.conf\n");
        Assert.Equal([0], g.Target.DependsOn);
        Assert.Equal(["0", "1"], Needed(g));
    }

    [Fact]
    public void Build_FromAndCopyFromWithVariables_ResolveToStages()
    {
        const string text = """
            ARG VARIANT=debug
            FROM alpine AS base-debug
            FROM alpine AS base-release
            FROM base-${VARIANT} AS final
            ARG SRC=base-release
            COPY --from=${SRC} /x /x
            """;
        var g = Graph(text);
        Assert.Equal(new StageBase.Stage(0), g.Target.Base);
        Assert.Equal("base-debug", g.Target.BaseName);
        Assert.Equal(["base-debug", "base-release", "final"], Needed(g));
        var release = Graph(text, null, ("VARIANT", "release"));
        Assert.Equal(["base-release", "final"], Needed(release));
    }

    [Fact]
    public void Build_GlobalArgDefaultsAndBuildArgsInFrom()
    {
        var g = Graph("ARG REGISTRY=docker.io ARG2\nARG IMAGE=${REGISTRY}/library/alpine\nFROM $IMAGE:${TAG:-3.20}\n");
        Assert.Equal("docker.io/library/alpine:3.20", g.Target.BaseName);
        var overridden = Graph("ARG REGISTRY=docker.io\nARG IMAGE=${REGISTRY}/library/alpine\nFROM $IMAGE\n", null, ("REGISTRY", "registry.local:5000"));
        Assert.Equal("registry.local:5000/library/alpine", overridden.Target.BaseName);
    }

    [Fact]
    public void Build_UnusedBuildArgs_AreReported()
    {
        var g = Graph("ARG A\nFROM alpine\nARG B\n", null, ("A", "1"), ("B", "2"), ("C", "3"), ("HTTPS_PROXY", "p"));
        Assert.Equal(["C"], g.UnusedBuildArgs);
    }

    [Fact]
    public void Build_UnknownTarget_IsAnError()
    {
        var e = Assert.Throws<DockerfileEvaluationException>(() => Graph(MultiStage, "nope"));
        Assert.Equal("target stage \"nope\" could not be found", e.Message);
    }

    [Fact]
    public void Build_DuplicateStageName_IsAnError()
    {
        var e = Assert.Throws<DockerfileEvaluationException>(() => Graph("FROM a AS x\nFROM b AS X\n"));
        Assert.Equal("duplicate stage name \"x\"", e.Message);
        Assert.Equal(2, e.StartLine);
    }

    [Fact]
    public void Build_CopyFromItselfOrLaterIndex_IsAnError()
    {
        var self = Assert.Throws<DockerfileEvaluationException>(() => Graph("FROM a AS x\nCOPY --from=x /a /b\n"));
        Assert.Equal(2, self.StartLine);
        var later = Assert.Throws<DockerfileEvaluationException>(() => Graph("FROM a\nCOPY --from=1 /a /b\nFROM b\n"));
        Assert.Equal("invalid stage index \"1\": a stage can only read an earlier stage", later.Message);
    }

    [Fact]
    public void Build_CircularStages_IsAnError()
    {
        var e = Assert.Throws<DockerfileEvaluationException>(() => Graph("FROM b AS a\nFROM a AS b\n"));
        Assert.StartsWith("circular dependency detected on stage: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_EmptyBaseName_IsAnError()
    {
        var e = Assert.Throws<DockerfileEvaluationException>(() => Graph("ARG IMAGE\nFROM $IMAGE\n"));
        Assert.Equal("base name ($IMAGE) should not be blank", e.Message);
    }

    [Fact]
    public void Build_OnlyGlobalArgs_HasNoStage()
    {
        var df = Dockerfile.Parse("ARG A=1\n");
        Assert.Empty(df.Stages);
        Assert.Throws<DockerfileEvaluationException>(() => StageGraph.Build(df, new BuildOptions()));
    }
}
