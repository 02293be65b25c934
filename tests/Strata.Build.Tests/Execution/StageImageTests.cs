using System.Text.Json;
using Strata.Build.Execution;
using Strata.Build.Instructions;
using Strata.Build.Stages;

namespace Strata.Build.Tests.Execution;

public class StageImageTests
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    // Runs a one-stage Dockerfile's metadata instructions on scratch (or on a given base config).
    private static StageImage Apply(string text, StageImage? start = null)
    {
        var df = Dockerfile.Parse(text);
        var options = new BuildOptions { TargetPlatform = new BuildPlatform("linux", "arm64") };
        var global = GlobalScope.Evaluate(df, options);
        var image = start ?? StageImage.Scratch(options.TargetPlatform, Epoch);
        var scope = new StageScope(df, global, image.Container.Env ?? []);
        foreach (var instruction in df.Stages[^1].Instructions)
        {
            var applied = scope.Apply(instruction);
            if (applied is not ArgInstruction)
            {
                Assert.True(image.ApplyMetadata(applied, scope), instruction.Node.Original);
            }
        }
        return image;
    }

    private static string Json(StageImage image) => System.Text.Encoding.UTF8.GetString(image.SerializeConfig());

    [Fact]
    public void Scratch_HasThePlatformAndBuildKitsDefaultPath()
    {
        var image = StageImage.Scratch(new BuildPlatform("linux", "arm", "v7"), Epoch);
        Assert.Equal(("linux", "arm", "v7"), (image.Config.Os, image.Config.Architecture, image.Config.Variant));
        Assert.Equal([StageImage.DefaultPath], image.Container.Env);
    }

    [Fact]
    public void Metadata_EveryInstructionLandsInTheConfig()
    {
        var image = Apply("""
            FROM scratch
            ENV APP=/srv/app PATH=/opt/bin:$PATH
            WORKDIR $APP
            WORKDIR sub/../data
            USER 1000:1000
            LABEL org.opencontainers.image.title="demo app" version=1
            EXPOSE 80 443/tcp 53/udp 8000-8002
            VOLUME ["/data", "/logs"]
            STOPSIGNAL SIGQUIT
            HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --start-interval=1s --retries=3 CMD curl -f http://localhost/
            MAINTAINER someone@example.com
            ONBUILD RUN echo triggered
            CMD ["serve", "--port", "80"]
            """);
        var c = image.Container;
        Assert.Equal(["PATH=/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP=/srv/app"], c.Env);
        Assert.Equal("/srv/app/data", c.WorkingDir);
        Assert.Equal("1000:1000", c.User);
        Assert.Equal(new Dictionary<string, string> { ["org.opencontainers.image.title"] = "demo app", ["version"] = "1" }, c.Labels);
        Assert.Equal(["443/tcp", "53/udp", "80/tcp", "8000/tcp", "8001/tcp", "8002/tcp"], c.ExposedPorts!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["/data", "/logs"], c.Volumes!.Keys);
        Assert.Equal("SIGQUIT", c.StopSignal);
        Assert.Equal(["serve", "--port", "80"], c.Cmd);
        Assert.Equal("someone@example.com", image.Config.Author);
        Assert.Equal(["RUN echo triggered"], StageImage.OnBuildTriggers(image.Config));
        var json = Json(image);
        Assert.Contains("\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"curl -f http://localhost/\"],\"Interval\":30000000000,\"Timeout\":3000000000,\"StartPeriod\":5000000000,\"StartInterval\":1000000000,\"Retries\":3}", json, StringComparison.Ordinal);
        Assert.Contains("\"created\":\"2023-11-14T22:13:20+00:00\"", json, StringComparison.Ordinal);
        Assert.Equal(12, image.Config.History!.Count);
        Assert.All(image.Config.History, h => Assert.Equal((true, Epoch, "buildkit.dockerfile.v0"), (h.EmptyLayer == true, h.Created!.Value, h.Comment)));
        Assert.Equal("WORKDIR /srv/app/data", image.Config.History[2].CreatedBy);
    }

    [Fact]
    public void ShellForm_RunsInTheCurrentShell()
    {
        var image = Apply("FROM scratch\nSHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\nENTRYPOINT exec top -b\nCMD echo $HOME\n");
        Assert.Equal(["/bin/bash", "-eo", "pipefail", "-c", "exec top -b"], image.Container.Entrypoint);
        Assert.Equal(["/bin/bash", "-eo", "pipefail", "-c", "echo $HOME"], image.Container.Cmd);
        Assert.Equal(["/bin/sh", "-c", "x"], Apply("FROM scratch\nCMD x\n").Container.Cmd);
    }

    [Fact]
    public void Entrypoint_DropsAnInheritedCmd_KeepsOneSetInTheStage()
    {
        var parent = Apply("FROM scratch\nCMD [\"bash\"]\n");
        var child = Apply("FROM scratch\nENTRYPOINT [\"/app\"]\n", StageImage.From(parent.Config, parent.Layers, Epoch));
        Assert.Null(child.Container.Cmd);
        var both = Apply("FROM scratch\nCMD [\"--help\"]\nENTRYPOINT [\"/app\"]\n");
        Assert.Equal(["--help"], both.Container.Cmd);
        Assert.Null(Apply("FROM scratch\nENTRYPOINT [\"/app\"]\nENTRYPOINT []\n").Container.Entrypoint);
    }

    [Fact]
    public void HealthcheckNone_DisablesTheBasesCheck()
    {
        var json = Json(Apply("FROM scratch\nHEALTHCHECK CMD true\nHEALTHCHECK NONE\n"));
        Assert.Contains("\"Healthcheck\":{\"Test\":[\"NONE\"]}", json, StringComparison.Ordinal);
    }

    [Fact]
    public void From_CopiesTheBaseAndDropsItsOnbuildTriggers()
    {
        var parent = Apply("FROM scratch\nENV A=1\nONBUILD RUN x\n");
        var child = StageImage.From(parent.Config, parent.Layers, Epoch);
        child.Container.Env!.Add("B=2");
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=1"], parent.Container.Env);
        Assert.Empty(StageImage.OnBuildTriggers(child.Config));
        Assert.Single(StageImage.OnBuildTriggers(parent.Config));
    }

    [Theory]
    [InlineData("/", "app", "/app")]
    [InlineData("/a/b", "../c", "/a/c")]
    [InlineData("/a", "/x/./y/", "/x/y")]
    [InlineData("/", "../../..", "/")]
    public void ResolvePath_RelativeToWorkdir(string workdir, string path, string expected) =>
        Assert.Equal(expected, StageImage.ResolvePath(workdir, path));

    [Theory]
    [InlineData("80/sctp", new[] { "80/sctp" })]
    [InlineData("7000-7001/UDP", new[] { "7000/udp", "7001/udp" })]
    public void ExpandPort_DefaultsToTcpAndExpandsRanges(string spec, string[] expected) => Assert.Equal(expected, StageImage.ExpandPort(spec));

    [Theory]
    [InlineData("80/http")]
    [InlineData("x")]
    [InlineData("9-1")]
    public void ExpandPort_BadSpec_IsAnError(string spec) => Assert.Throws<FormatException>(() => StageImage.ExpandPort(spec).ToList());

    [Fact]
    public void SerializeConfig_IsValidImageConfigJson()
    {
        using var doc = JsonDocument.Parse(Apply("FROM scratch\nEXPOSE 80\n").SerializeConfig());
        Assert.Equal("arm64", doc.RootElement.GetProperty("architecture").GetString());
        Assert.Equal(JsonValueKind.Object, doc.RootElement.GetProperty("config").GetProperty("ExposedPorts").GetProperty("80/tcp").ValueKind);
        Assert.Equal("layers", doc.RootElement.GetProperty("rootfs").GetProperty("type").GetString());
    }
}
