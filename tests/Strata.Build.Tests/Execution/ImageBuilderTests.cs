using System.Formats.Tar;
using Strata.Build.Execution;
using Strata.Build.Stages;
using Strata.Build.Syntax;
using Strata.Images;
using Strata.Oci.Image;

namespace Strata.Build.Tests.Execution;

/// <summary>Builds into a real store in a temporary directory; no root needed (no RUN yet).</summary>
public sealed class ImageBuilderTests : IDisposable
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("strata-build-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Context(params (string Path, string Content)[] files)
    {
        var context = Path.Combine(_dir.FullName, "context");
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(context, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
        Directory.CreateDirectory(context);
        return context;
    }

    private ImageService Store(string name = "store") => new(new ImageServiceOptions { Root = Path.Combine(_dir.FullName, name) });

    private static async Task<BuildResult> Build(ImageService store, string context, string? target = null, DateTimeOffset? epoch = null, TextWriter? progress = null, params string[] tags) =>
        await new ImageBuilder(store, progress).BuildAsync(new BuildRequest
        {
            ContextDirectory = context,
            Tags = tags,
            SourceDateEpoch = epoch ?? Epoch,
            Options = new BuildOptions { Target = target, TargetPlatform = new BuildPlatform("linux", "amd64") },
            Labels = new Dictionary<string, string> { ["built.by"] = "strata" },
        });

    private static List<(string Name, TarEntryType Type, int Mode, int Uid, int Gid, long Mtime, string? Content)> Entries(ImageService store, Descriptor layer)
    {
        using var blob = store.Content.OpenRead(layer.Digest);
        using var reader = new TarReader(blob);
        var list = new List<(string, TarEntryType, int, int, int, long, string?)>();
        while (reader.GetNextEntry() is { } e)
        {
            string? content = null;
            if (e.DataStream is { } data)
            {
                using var r = new StreamReader(data);
                content = r.ReadToEnd();
            }
            list.Add((e.Name, e.EntryType, (int)e.Mode, e.Uid, e.Gid, e.ModificationTime.ToUnixTimeSeconds(), content));
        }
        return list;
    }

    [Fact]
    public async Task Build_CopyAndMetadata_MakeATaggedImage()
    {
        var context = Context(
            ("Containerfile", "FROM scratch\nENV APP=/app\nWORKDIR $APP\nCOPY --chown=1000 --chmod=640 src/ ./\nCOPY <<EOF /etc/motd\nhello from $APP\nEOF\nCMD [\"/app/run\"]\n"),
            ("src/run", "#!/bin/sh\n"),
            ("src/lib/a.txt", "a"),
            ("src/lib/skip.log", "ignored"),
            (".dockerignore", "**/*.log\n"));
        using var store = Store();
        var progress = new StringWriter();
        var result = await Build(store, context, progress: progress, tags: "demo:1");

        Assert.Equal(["docker.io/library/demo:1"], result.Names);
        var image = store.Load("demo:1");
        Assert.Equal(result.ImageId, image.Record.Config);
        Assert.Equal(("/app", "strata"), (image.Config.Config!.WorkingDir, image.Config.Config.Labels!["built.by"]));
        Assert.Equal(["/app/run"], image.Config.Config.Cmd);
        Assert.Equal(2, image.Manifest.Layers!.Count);
        Assert.Equal(image.Config.RootFs.DiffIds, image.Manifest.Layers.Select(l => l.Digest));
        Assert.All(image.Manifest.Layers, l => Assert.Equal(MediaTypes.OciLayer, l.MediaType));

        var copied = Entries(store, image.Manifest.Layers[0]);
        Assert.Equal(["app/", "app/lib/", "app/lib/a.txt", "app/run"], copied.Select(e => e.Name));
        Assert.All(copied, e => Assert.Equal((1000, 1000, 1_700_000_000L, Convert.ToInt32("640", 8)), (e.Uid, e.Gid, e.Mtime, e.Mode)));
        var motd = Assert.Single(Entries(store, image.Manifest.Layers[1]));
        Assert.Equal(("etc/motd", "hello from /app\n", 0, Convert.ToInt32("644", 8)), (motd.Name, motd.Content, motd.Uid, motd.Mode));
        Assert.Contains("Step 4/6 : COPY --chown=1000 --chmod=640 src/ ./", progress.ToString(), StringComparison.Ordinal);
        Assert.Contains($"Successfully built {result.ImageId.Encoded[..12]}", progress.ToString(), StringComparison.Ordinal);
        Assert.Equal(["COPY src/ ./ # buildkit", "COPY <<EOF /etc/motd # buildkit"],
            image.Config.History!.Where(h => h.EmptyLayer != true).Select(h => h.CreatedBy));
    }

    [Fact]
    public async Task Build_SameInputsInTwoStores_GiveTheSameDigests()
    {
        var context = Context(("Dockerfile", "FROM scratch\nCOPY . /src/\nLABEL a=b\n"), ("b.txt", "b"), ("a/c.txt", "c"), ("a/d/e", "e"));
        using var first = Store("one");
        using var second = Store("two");
        var a = await Build(first, context);
        File.SetLastWriteTimeUtc(Path.Combine(context, "b.txt"), DateTime.UtcNow.AddDays(-3));
        var b = await Build(second, context);
        Assert.Equal(a.ImageId, b.ImageId);
        Assert.Equal(a.Manifest, b.Manifest);
        Assert.Equal([$"localhost/{a.ImageId.Encoded[..12]}:latest"], a.Names);
        var c = await Build(second, context, epoch: Epoch.AddSeconds(1));
        Assert.NotEqual(a.ImageId, c.ImageId);
    }

    [Fact]
    public async Task Build_MultiStage_TargetAndStageBases()
    {
        var context = Context(("Dockerfile", "FROM scratch AS base\nENV BASE=1\nCOPY one /one\nFROM base AS app\nCOPY two /two\nFROM scratch AS unused\nRUN never\nFROM app\nLABEL final=yes\n"), ("one", "1"), ("two", "2"));
        using var store = Store();
        var progress = new StringWriter();
        await Build(store, context, progress: progress, tags: "multi");
        var image = store.Load("multi");
        Assert.Equal(2, image.Manifest.Layers!.Count);
        Assert.Contains("BASE=1", image.Config.Config!.Env!);
        Assert.DoesNotContain("RUN never", progress.ToString(), StringComparison.Ordinal);
        await Build(store, context, target: "base", tags: "multi:base");
        Assert.Single(store.Load("multi:base").Manifest.Layers!);
    }

    [Fact]
    public async Task Build_FromAnImageInTheStore_KeepsItsLayersAndConfig()
    {
        using var store = Store();
        await Build(store, Context(("Dockerfile", "FROM scratch\nENV FROM_BASE=yes\nCOPY f /f\nENTRYPOINT [\"/f\"]\nCMD [\"x\"]\n"), ("f", "f")), tags: "registry.local/base:1");
        File.WriteAllText(Path.Combine(_dir.FullName, "context", "Dockerfile"), "FROM registry.local/base:1\nCOPY g /g\nENTRYPOINT [\"/g\"]\n");
        File.WriteAllText(Path.Combine(_dir.FullName, "context", "g"), "g");
        await Build(store, Path.Combine(_dir.FullName, "context"), tags: "child");
        var child = store.Load("child");
        Assert.Equal(2, child.Manifest.Layers!.Count);
        Assert.Contains("FROM_BASE=yes", child.Config.Config!.Env!);
        Assert.Equal(["/g"], child.Config.Config.Entrypoint);
        Assert.Null(child.Config.Config.Cmd);
        Assert.True(child.Config.History!.Count > store.Load("registry.local/base:1").Config.History!.Count);
    }

    [Theory]
    [InlineData("FROM scratch\nENV X=1\nRUN echo hi\n", "Dockerfile:3", "RUN is not supported by strata build yet")]
    [InlineData("FROM scratch\nCOPY missing.txt /\n", "Dockerfile:2", "failed to compute cache key: \"/missing.txt\": not found")]
    [InlineData("FROM scratch\nCOPY ignored.txt /\n", "Dockerfile:2", "failed to compute cache key: \"/ignored.txt\": not found")]
    [InlineData("FROM scratch\nCOPY *.none /x/\n", "Dockerfile:2", "failed to compute cache key: \"/*.none\": not found")]
    [InlineData("FROM scratch\nCOPY a.txt b.txt /file\n", "Dockerfile:2", "When using COPY with more than one source file, the destination must be a directory and end with a /")]
    [InlineData("FROM scratch\nCOPY --chown=app a.txt /\n", "Dockerfile:2", "--chown=app: user and group names are not supported yet; give numeric IDs")]
    [InlineData("FROM scratch\nCOPY --chmod=u+x a.txt /\n", "Dockerfile:2", "invalid chmod parameter: u+x: use an octal mode such as 755")]
    [InlineData("FROM scratch AS a\nFROM scratch\nCOPY --from=a / /\n", "Dockerfile:3", "COPY --from is not supported by strata build yet")]
    [InlineData("FROM nothing-here:1\n", "Dockerfile:1", "base image nothing-here:1 is not in the local store: pull it first (strata pull nothing-here:1)")]
    public async Task Build_Unsupported_Or_Bad_FailsAtTheInstructionAndNamesNothing(string dockerfile, string location, string message)
    {
        var context = Context(("Dockerfile", dockerfile), ("a.txt", "a"), ("b.txt", "b"), ("ignored.txt", "i"), (".dockerignore", "ignored.txt\n"));
        using var store = Store();
        var e = await Assert.ThrowsAsync<DockerfileEvaluationException>(() => Build(store, context, tags: "never"));
        Assert.Equal((location, message), (e.Location, e.Message));
        Assert.Null(store.Find("never"));
    }

    [Fact]
    public async Task Build_CopyEscapingTheContext_StaysInside()
    {
        // The context is the sources' root: ../ cannot leave it, and a symlink is followed inside it only.
        var context = Context(("Dockerfile", "FROM scratch\nCOPY ../../inside.txt /a\nCOPY link /b\n"), ("inside.txt", "in"));
        File.WriteAllText(Path.Combine(_dir.FullName, "outside.txt"), "out");
        File.CreateSymbolicLink(Path.Combine(context, "link"), "../../inside.txt");
        using var store = Store();
        await Build(store, context, tags: "inside");
        var layers = store.Load("inside").Manifest.Layers!;
        Assert.Equal("in", Assert.Single(Entries(store, layers[0])).Content);
        Assert.Equal("in", Assert.Single(Entries(store, layers[1])).Content);
    }

    [Fact]
    public async Task Build_CopyIntoAnExistingDirectoryOrThroughASymlink_LandsWhereBuildKitPutsIt()
    {
        // A merged-/usr base: /bin is a symlink to usr/bin. "COPY tool /bin" and "COPY tool /usr/bin" (no
        // trailing '/') both mean usr/bin/tool, never a file replacing the directory or the link.
        var context = Context(("base/usr/bin/sh", "sh"), ("tool", "t"), ("Dockerfile", "FROM scratch\nCOPY base/ /\n"));
        File.CreateSymbolicLink(Path.Combine(context, "base", "bin"), "usr/bin");
        using var store = Store();
        await Build(store, context, tags: "merged-usr");
        File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM merged-usr\nCOPY tool /bin\nCOPY tool /usr/bin\nCOPY tool /bin/renamed\nCOPY tool /newfile\n");
        await Build(store, context, tags: "child");
        var layers = store.Load("child").Manifest.Layers!;
        Assert.Equal(["bin", "usr/", "usr/bin/", "usr/bin/sh"], Entries(store, layers[0]).Select(e => e.Name));
        Assert.Equal(TarEntryType.SymbolicLink, Entries(store, layers[0])[0].Type);
        Assert.Equal("usr/bin/tool", Assert.Single(Entries(store, layers[1])).Name);
        Assert.Equal("usr/bin/tool", Assert.Single(Entries(store, layers[2])).Name);
        Assert.Equal("usr/bin/renamed", Assert.Single(Entries(store, layers[3])).Name);
        Assert.Equal("newfile", Assert.Single(Entries(store, layers[4])).Name);
    }

    [Fact]
    public async Task Build_BadDockerfile_IsTheParsersError()
    {
        var context = Context(("Containerfile", "FROM scratch\nCOPPY a b\n"));
        using var store = Store();
        var e = await Assert.ThrowsAsync<DockerfileParseException>(() => Build(store, context));
        Assert.Equal(("Containerfile:2", "dockerfile parse error on line 2: unknown instruction: COPPY (did you mean COPY?)"), (e.Location, e.Message));
    }
}
