using Strata.Build.Instructions;
using Strata.Build.Stages;
using Strata.Build.Syntax;

namespace Strata.Build.Tests.Stages;

public class StageScopeTests
{
    private static readonly BuildOptions Amd64 = new()
    {
        BuildPlatform = new BuildPlatform("linux", "amd64"),
        TargetPlatform = new BuildPlatform("linux", "arm", "v7"),
    };

    // Applies every instruction of the named stage (or the last) and returns the scope and what came out.
    private static (StageScope Scope, List<Instruction> Applied) Run(string text, BuildOptions? options = null, IEnumerable<string>? baseEnv = null, int stage = -1)
    {
        var df = Dockerfile.Parse(text);
        var global = GlobalScope.Evaluate(df, options ?? Amd64);
        var scope = new StageScope(df, global, baseEnv ?? []);
        var s = stage < 0 ? df.Stages[^1] : df.Stages[stage];
        return (scope, s.Instructions.Select(scope.Apply).ToList());
    }

    private static BuildOptions WithArgs(params (string Key, string Value)[] args) =>
        Amd64 with { BuildArgs = args.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal) };

    [Fact]
    public void Env_SameValueThroughoutOneInstruction()
    {
        // Dockerfile reference, "Environment replacement": def is hello, ghi is bye.
        var (scope, _) = Run("FROM busybox\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n");
        Assert.Equal(["abc=bye", "def=hello", "ghi=bye"], scope.Env);
    }

    [Fact]
    public void ReferenceExample_WorkdirAddCopy()
    {
        // Dockerfile reference, "Environment replacement": WORKDIR /bar, ADD . /bar, COPY $FOO /quux.
        var (_, applied) = Run("FROM busybox\nENV FOO=/bar\nWORKDIR ${FOO}\nADD . $FOO\nCOPY \\$FOO /quux\n");
        Assert.Equal("/bar", ((WorkdirInstruction)applied[1]).Path);
        var add = (AddInstruction)applied[2];
        Assert.Equal(["."], add.Sources);
        Assert.Equal("/bar", add.Destination);
        var copy = (CopyInstruction)applied[3];
        Assert.Equal(["$FOO"], copy.Sources);
        Assert.Equal("/quux", copy.Destination);
    }

    [Fact]
    public void TrailingHash_IsNotAComment()
    {
        // Dockerfile reference, "Format": a # that does not start the line is an argument.
        var (_, applied) = Run("FROM a\nWORKDIR /x # not a comment\n");
        Assert.Equal("/x # not a comment", ((WorkdirInstruction)applied[0]).Path);
    }

    [Fact]
    public void Env_QuotesAndEscapesRemoved_LegacyFormKeepsSpaces()
    {
        var (scope, _) = Run("FROM a\nENV MY_NAME=\"John Doe\" MY_DOG=Rex\\ The\\ Dog MY_CAT=fluffy\nENV LEGACY value with  spaces\nENV PATH=/usr/local/bin:$PATH\n", baseEnv: ["PATH=/usr/bin"]);
        Assert.Equal(["PATH=/usr/local/bin:/usr/bin", "MY_NAME=John Doe", "MY_DOG=Rex The Dog", "MY_CAT=fluffy", "LEGACY=value with  spaces"], scope.Env);
    }

    [Fact]
    public void Label_KeysAndValuesExpanded()
    {
        var (_, applied) = Run("FROM a\nENV V=1.0\nLABEL \"com.example.vendor\"=\"ACME Incorporated\" version=$V multi.label1=\"value1\" other=\"with \\\"quotes\\\"\"\n");
        Assert.Equal(
            [new KeyValue("com.example.vendor", "ACME Incorporated"), new KeyValue("version", "1.0"), new KeyValue("multi.label1", "value1"), new KeyValue("other", "with \"quotes\"")],
            ((LabelInstruction)applied[1]).Labels);
    }

    [Fact]
    public void Arg_GlobalArgNeedsRedeclarationInTheStage()
    {
        // Dockerfile reference, "Understand how ARG and FROM interact".
        const string text = "ARG VERSION=latest\nFROM busybox:$VERSION\nARG VERSION\nRUN echo $VERSION > image_version\nFROM busybox:$VERSION\nWORKDIR /v$VERSION\n";
        var (first, _) = Run(text, stage: 0);
        Assert.Equal("latest", first.Args["VERSION"]);
        var (_, applied) = Run(text, stage: 1);
        Assert.Equal("/v", ((WorkdirInstruction)applied[0]).Path);
    }

    [Fact]
    public void Arg_BuildArgOverridesDefault_NotSubstitutedAgain()
    {
        var (scope, applied) = Run("FROM a\nARG user=someuser\nARG other=$user\nUSER $user\n", WithArgs(("user", "what_user $HOME")));
        Assert.Equal("what_user $HOME", scope.Args["user"]);
        Assert.Equal("what_user $HOME", scope.Args["other"]);
        Assert.Equal("what_user $HOME", ((UserInstruction)applied[2]).User);
    }

    [Fact]
    public void Arg_UsableOnlyFromItsDeclaration()
    {
        // Dockerfile reference, "Scope": USER before ARG sees nothing.
        var (_, applied) = Run("FROM busybox\nUSER ${username:-some_user}\nARG username\nUSER $username\n", WithArgs(("username", "what_user")));
        Assert.Equal("some_user", ((UserInstruction)applied[0]).User);
        Assert.Equal("what_user", ((UserInstruction)applied[2]).User);
    }

    [Fact]
    public void Arg_EndsWithItsStage()
    {
        var (_, applied) = Run("FROM a\nARG SETTINGS=x\nFROM b\nWORKDIR /$SETTINGS\n");
        Assert.Equal("/", ((WorkdirInstruction)applied[0]).Path);
    }

    [Fact]
    public void Env_OverridesArgOfTheSameName()
    {
        // Dockerfile reference, "Using ARG variables": CONT_IMG_VER is v1.0.0 whatever the build arg.
        var (_, applied) = Run("FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nWORKDIR /$CONT_IMG_VER\nARG CONT_IMG_VER\nUSER $CONT_IMG_VER\n", WithArgs(("CONT_IMG_VER", "v2.0.1")));
        Assert.Equal("/v1.0.0", ((WorkdirInstruction)applied[2]).Path);
        Assert.Equal("v1.0.0", ((UserInstruction)applied[4]).User);
    }

    [Fact]
    public void Arg_EnvFromArgWithDefault()
    {
        // Dockerfile reference: ENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}.
        var (withArg, _) = Run("FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\n", WithArgs(("CONT_IMG_VER", "v2.0.1")));
        Assert.Equal(["CONT_IMG_VER=v2.0.1"], withArg.Env);
        var (without, _) = Run("FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\n");
        Assert.Equal(["CONT_IMG_VER=v1.0.0"], without.Env);
    }

    [Fact]
    public void PlatformArgs_GlobalAlways_StageAfterDeclaration()
    {
        var (scope, applied) = Run("FROM alpine\nWORKDIR /$TARGETARCH\nARG TARGETPLATFORM TARGETARCH TARGETVARIANT BUILDOS\nWORKDIR /$TARGETPLATFORM/$TARGETARCH/$TARGETVARIANT/$BUILDOS\n");
        Assert.Equal("/", ((WorkdirInstruction)applied[0]).Path);
        Assert.Equal("/linux/arm/v7/arm/v7/linux", ((WorkdirInstruction)applied[2]).Path);
        var df = Dockerfile.Parse("FROM --platform=$BUILDPLATFORM golang AS build\n");
        var graph = StageGraph.Build(df, Amd64);
        Assert.Equal("linux/amd64", graph.Target.Platform);
        Assert.Equal("arm", scope.Args["TARGETARCH"]);
    }

    [Fact]
    public void ProxyArgs_ReachRunOnlyWhenGiven_WithoutDeclaration()
    {
        var (scope, applied) = Run("FROM a\nARG A=1\nENV B=2\nWORKDIR /$HTTP_PROXY\n", WithArgs(("HTTP_PROXY", "http://proxy:3128"), ("UNUSED", "x")));
        Assert.Equal("/", ((WorkdirInstruction)applied[2]).Path);
        Assert.Equal(["HTTP_PROXY=http://proxy:3128", "A=1", "B=2"], scope.RunEnvironment());
        Assert.DoesNotContain(scope.Env, e => e.StartsWith("HTTP_PROXY", StringComparison.Ordinal));
    }

    [Fact]
    public void Copy_FromChownChmodDestinationAndHeredocExpanded()
    {
        var (_, applied) = Run("FROM a\nARG STAGE=build\nENV DIR=/app U=1000\nCOPY --from=$STAGE --chown=$U:$U --chmod=0${MODE:-644} src/$DIR <<EOF ${DIR}/\nname=\"$U\" '\\$DIR'\nEOF\n");
        var copy = (CopyInstruction)applied[2];
        Assert.Equal(("build", "1000:1000", "0644", "/app/"), (copy.From, copy.Chown, copy.Chmod, copy.Destination));
        Assert.Equal(["src//app"], copy.Sources);
        // Heredoc contents keep their quotes: only variables and escapes count.
        Assert.Equal("name=\"1000\" '$DIR'\n", copy.Contents[0].Data);
    }

    [Fact]
    public void Copy_QuotedHeredocDelimiter_NotExpanded()
    {
        var (_, applied) = Run("FROM a\nENV X=1\nCOPY <<'EOF' /f\n$X\nEOF\n");
        Assert.Equal("$X\n", ((CopyInstruction)applied[1]).Contents[0].Data);
    }

    [Fact]
    public void Expose_Volume_Stopsignal_RunMountsExpanded_RunCommandNot()
    {
        var (_, applied) = Run("FROM a\nENV PORTS=\"80 443/tcp\" SIG=SIGQUIT V=/data S=deps\nEXPOSE $PORTS 8080\nVOLUME $V [\"x\"]\nSTOPSIGNAL $SIG\nRUN --mount=type=cache,id=$S,target=/c echo $PORTS\nCMD echo $PORTS\n");
        Assert.Equal(["80", "443/tcp", "8080"], ((ExposeInstruction)applied[1]).Ports);
        Assert.Equal(["/data", "[x]"], ((VolumeInstruction)applied[2]).Volumes);
        Assert.Equal("SIGQUIT", ((StopSignalInstruction)applied[3]).Signal);
        var run = (RunInstruction)applied[4];
        Assert.Equal("deps", run.Mounts[0].Id);
        Assert.Equal(["echo $PORTS"], run.Command.Arguments);
        Assert.Equal(["echo $PORTS"], ((CmdInstruction)applied[5]).Command.Arguments);
    }

    [Fact]
    public void BacktickEscape_AppliesToSubstitution()
    {
        var (_, applied) = Run("# escape=`\nFROM a\nENV P=c:\\data\nWORKDIR $P\\`$P\n");
        Assert.Equal("c:\\data\\$P", ((WorkdirInstruction)applied[1]).Path);
    }

    [Fact]
    public void BadSubstitution_ReportsTheInstructionsLine()
    {
        var e = Assert.Throws<DockerfileEvaluationException>(() => Run("FROM a\n\nWORKDIR ${X\n"));
        Assert.Equal("failed to process \"${X\": syntax error: missing '}'", e.Message);
        Assert.Equal("Dockerfile:3", e.Location);
        var required = Assert.Throws<DockerfileEvaluationException>(() => Run("FROM a\nARG TAG\nWORKDIR ${TAG:?set TAG}\n"));
        Assert.Equal("failed to process \"${TAG:?set TAG}\": TAG: set TAG", required.Message);
        Assert.Equal(3, required.StartLine);
    }
}
