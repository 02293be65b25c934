using Strata.Engine.Containers;
using Strata.Images;
using Strata.Images.Store;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// Images through the daemon with the real docker CLIs (28.2, API 1.50; Debian's 20.10, API 1.41): pull from
/// and push to the CNCF registry and Strata's, tag, rmi, save | load, history, inspect, prune, login.
/// </summary>
[Collection(ImageRegistriesCollection.Name)]
public sealed class ImageCliTests(ImageRegistries registries)
{
    private DockerCli Cli(TestDaemon daemon, string binary, string config = "docker-config", IReadOnlyDictionary<string, string>? environment = null)
    {
        Skip.If(registries.Missing is not null, registries.Missing);
        Skip.IfNot(File.Exists(binary), $"{binary} is not installed");
        return new DockerCli(binary, daemon.Socket, daemon.Dir.Combine(config), environment);
    }

    private static string Kind(string binary) => binary == DockerCli.Current ? "current" : "debian";

    private static Task<TestDaemon> DaemonWithAppAsync(Action<ImageRecord>? written = null) => TestDaemon.StartAsync(d =>
    {
        using var images = new ImageService(new ImageServiceOptions { Root = d.Root });
        var record = TestImages.WriteBusybox(images, "app:1");
        written?.Invoke(record);
    });

    [SkippableTheory]
    [InlineData(DockerCli.Current, "cncf")]
    [InlineData(DockerCli.Current, "strata")]
    [InlineData(DockerCli.Debian, "cncf")]
    [InlineData(DockerCli.Debian, "strata")]
    public async Task Pull_FromLocalRegistry_ProgressDigestThenUpToDate(string binary, string registry)
    {
        await using var daemon = await TestDaemon.StartAsync();
        var cli = Cli(daemon, binary);
        var reference = $"{registries.Host(registry)}/{ImageRegistries.Repository}:{ImageRegistries.Tag}";

        var pull = await cli.OkAsync("pull", reference);
        var again = await cli.OkAsync("pull", reference);
        var images = await cli.OkAsync("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}");

        Assert.Contains($"{ImageRegistries.Tag}: Pulling from {ImageRegistries.Repository}\n", pull, StringComparison.Ordinal);
        Assert.Contains($"{registries.LayerId}: Pull complete\n", pull, StringComparison.Ordinal);
        Assert.Contains($"Digest: {registries.Image.Target}\n", pull, StringComparison.Ordinal);
        Assert.Contains($"Status: Downloaded newer image for {reference}\n", pull, StringComparison.Ordinal);
        Assert.Contains($"Status: Image is up to date for {reference}\n", again, StringComparison.Ordinal);
        Assert.Equal($"{reference} {registries.Image.Config.Encoded[..12]}\n", images);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Pull_OnATerminal_TheCliDrawsProgressBars(string binary)
    {
        Skip.IfNot(File.Exists("/usr/bin/script"), "script(1) (util-linux) gives the CLI a terminal");
        await using var daemon = await TestDaemon.StartAsync();
        Cli(daemon, binary);
        var reference = $"{registries.StrataHost}/{ImageRegistries.Repository}:{ImageRegistries.Tag}";
        var info = new System.Diagnostics.ProcessStartInfo("/usr/bin/script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        // The CLI draws a bar only on a terminal wider than 110 columns.
        foreach (var arg in new[] { "-qec", $"stty cols 160 rows 40; {binary} pull {reference}", "/dev/null" })
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOCKER_HOST"] = "unix://" + daemon.Socket;
        info.Environment["DOCKER_CONFIG"] = daemon.Dir.Combine("tty-config");

        using var process = System.Diagnostics.Process.Start(info)!;
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, output);
        // A bar is drawn from progressDetail (the CLI renders it; the line's own text is only for old clients).
        Assert.Matches(@"Downloading \[=*>? *\]", output);
        Assert.Contains("Pull complete", output, StringComparison.Ordinal);
        Assert.Contains($"Digest: {registries.Image.Target}", output, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Pull_Nonexistent_DockersErrors(string binary)
    {
        await using var daemon = await TestDaemon.StartAsync();
        var cli = Cli(daemon, binary);
        var cncf = registries.CncfHost;
        var strata = registries.StrataHost;

        // Both registries answer an unknown repository's manifest with MANIFEST_UNKNOWN, as for an unknown tag.
        var noRepository = await cli.RunAsync("pull", $"{cncf}/test/nope:1");
        var noTag = await cli.RunAsync("pull", $"{strata}/{ImageRegistries.Repository}:nope");

        Assert.NotEqual(0, noRepository.Exit);
        Assert.Contains($"Error response from daemon: manifest for {cncf}/test/nope:1 not found: manifest unknown: manifest unknown", noRepository.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, noTag.Exit);
        Assert.Contains($"Error response from daemon: manifest for {strata}/{ImageRegistries.Repository}:nope not found: manifest unknown: ", noTag.Stderr, StringComparison.Ordinal);
        Assert.Equal("", await cli.OkAsync("images", "-q"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(daemon.Root, "ingest"), "*", SearchOption.AllDirectories));
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current, "cncf")]
    [InlineData(DockerCli.Current, "strata")]
    [InlineData(DockerCli.Debian, "cncf")]
    [InlineData(DockerCli.Debian, "strata")]
    public async Task TagPushRmi_AsDockerd(string binary, string registry)
    {
        ImageRecord app = null!;
        await using var daemon = await DaemonWithAppAsync(r => app = r);
        var cli = Cli(daemon, binary);
        var repository = $"{registries.Host(registry)}/pushed/{Kind(binary)}";
        var target = repository + ":2";

        await cli.OkAsync("tag", "app:1", target);
        var push = await cli.OkAsync("push", target);
        var again = await cli.OkAsync("push", target);
        var untag = await cli.OkAsync("rmi", target);
        var left = await cli.OkAsync("images", "--format", "{{.Repository}}:{{.Tag}}");
        var delete = await cli.OkAsync("rmi", "app:1");
        var gone = await cli.RunAsync("push", target);

        Assert.Contains($"The push refers to repository [{repository}]\n", push, StringComparison.Ordinal);
        Assert.Matches(@"[0-9a-f]{12}: Pushed\n", push);
        Assert.Contains($"2: digest: {app.Manifest} size: ", push, StringComparison.Ordinal);
        Assert.Matches(@"[0-9a-f]{12}: Layer already exists\n", again);
        Assert.Equal($"Untagged: {target}\n", untag);
        Assert.Equal("app:1\n", left);
        Assert.Equal($"Untagged: app:1\nDeleted: {app.Config}\n", delete);
        Assert.Equal("", await cli.OkAsync("images", "-q"));
        Assert.NotEqual(0, gone.Exit);
        Assert.Contains($"An image does not exist locally with the tag: {repository}", gone.Stderr + gone.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Events_ImageActions_AsDockerdNamesThem()
    {
        ImageRecord app = null!;
        await using var daemon = await DaemonWithAppAsync(r => app = r);
        var cli = Cli(daemon, DockerCli.Current);
        var reference = $"{registries.StrataHost}/{ImageRegistries.Repository}:{ImageRegistries.Tag}";
        var archive = daemon.Dir.Combine("app.tar");

        await cli.OkAsync("pull", reference);
        await cli.OkAsync("tag", "app:1", "app:2");
        await cli.OkAsync("save", "-o", archive, "app:2");
        await cli.OkAsync("rmi", "app:2");
        await cli.OkAsync("rmi", "app:1");
        await cli.OkAsync("load", "-i", archive);
        var until = DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var events = await cli.OkAsync("events", "--since", "0", "--until", until, "--filter", "type=image", "--format", "{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}");

        var id = app.Config.ToString();
        Assert.Equal(
            [
                $"pull {reference} {reference}",
                $"tag {id} app:2",
                $"save {id} {id}",
                $"untag {id} {id}",
                $"untag {id} {id}",
                $"delete {id} {id}",
                $"load {id} {id}",
            ],
            events.TrimEnd('\n').Split('\n'));
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Rmi_ImageOfAContainer_ConflictUnlessForced(string binary)
    {
        Fixture fixture = null!;
        await using var daemon = await TestDaemon.StartAsync(d =>
        {
            fixture = Fixture.Write(d.Root);
            using var images = new ImageService(new ImageServiceOptions { Root = d.Root });
            // The containers' leases, as ContainerService takes them when it creates a container.
            images.Metadata.PutLease(new ImageLease(EngineContainer.LeaseIdFor(Fixture.Id('a')), fixture.Alpha.Manifest, "container web"));
            images.Metadata.PutLease(new ImageLease(EngineContainer.LeaseIdFor(Fixture.Id('b')), fixture.Beta.Manifest, "container job"));
        });
        var cli = Cli(daemon, binary);
        var betaId = fixture.Beta.Config.Encoded[..12];
        var alphaId = fixture.Alpha.Config.Encoded[..12];

        var byName = await cli.RunAsync("rmi", Fixture.BetaName);
        var byId = await cli.RunAsync("rmi", alphaId);
        var forced = await cli.OkAsync("rmi", "-f", Fixture.BetaName);
        var images = await cli.OkAsync("images", "--format", "{{.Repository}}:{{.Tag}}");

        Assert.NotEqual(0, byName.Exit);
        Assert.Contains($"conflict: unable to remove repository reference \"{Fixture.BetaName}\" (must force) - container {Fixture.Id('b')[..12]} is using its referenced image {betaId}", byName.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, byId.Exit);
        Assert.Contains($"conflict: unable to delete {alphaId} (cannot be forced) - image is being used by running container {Fixture.Id('a')[..12]}", byId.Stderr, StringComparison.Ordinal);
        // Forced, the name goes; the image stays for its container (its lease keeps the content).
        Assert.Equal("Untagged: example.com:5000/team/beta:latest\n", forced);
        Assert.DoesNotContain("beta", images, StringComparison.Ordinal);
        Assert.Contains("alpha:1.0", images, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Rmi_ImageOfAContainerTheEngineRan_Conflict(string binary)
    {
        Skip.If(Strata.Linux.Sys.EffectiveUserId != 0, "running a container needs root");
        var runtime = ContainerService.FindRuntime();
        Skip.If(runtime is null || !File.Exists(runtime), "strata-runtime not found: publish it to artifacts/bin or set STRATA_RUNTIME");
        ImageRecord app = null!;
        string id = null!;
        await using var daemon = await TestDaemon.StartAsync(d =>
        {
            using var images = new ImageService(new ImageServiceOptions { Root = d.Root });
            app = TestImages.WriteBusybox(images, "app:1");
            using var containers = new ContainerService(images, runtime!);
            Assert.Equal(0, containers.RunAsync(new RunOptions { Image = "app:1", Name = "user", Command = ["true"] }).GetAwaiter().GetResult());
            id = containers.List(all: true).Single().Id;
        });
        var cli = Cli(daemon, binary);
        var imageId = app.Config.Encoded[..12];

        var byName = await cli.RunAsync("rmi", "app:1");
        var byId = await cli.RunAsync("rmi", imageId);

        Assert.NotEqual(0, byName.Exit);
        Assert.Contains($"conflict: unable to remove repository reference \"app:1\" (must force) - container {id[..12]} is using its referenced image {imageId}", byName.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, byId.Exit);
        Assert.Contains($"conflict: unable to delete {imageId} (must be forced) - image is being used by stopped container {id[..12]}", byId.Stderr, StringComparison.Ordinal);
        Assert.Equal("app:1\n", await cli.OkAsync("images", "--format", "{{.Repository}}:{{.Tag}}"));
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task SaveLoad_RoundTrip_InspectAndHistory(string binary)
    {
        ImageRecord app = null!;
        await using var source = await DaemonWithAppAsync(r => app = r);
        await using var target = await TestDaemon.StartAsync();
        var from = Cli(source, binary);
        var to = Cli(target, binary);
        var archive = source.Dir.Combine("app.tar");

        await from.OkAsync("save", "-o", archive, "app:1");
        var load = await to.OkAsync("load", "-i", archive);
        var inspect = await to.OkAsync("image", "inspect", "--format", "{{.Id}} {{.Os}} {{.Architecture}} {{index .RepoTags 0}} {{len .RootFS.Layers}} {{index .Config.Cmd 0}}", "app:1");
        var history = await to.OkAsync("history", "--no-trunc", "--format", "{{.ID}}", "app:1");
        var missing = await to.RunAsync("image", "inspect", "nope:1");

        Assert.Contains("Loaded image: app:1\n", load, StringComparison.Ordinal);
        Assert.Equal($"{app.Config} linux {ImageService.HostArchitecture} app:1 1 sh\n", inspect);
        Assert.Equal($"{app.Config}\n", history);
        Assert.NotEqual(0, missing.Exit);
        Assert.Contains("No such image: nope:1", missing.Stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task ImagePrune_AllButImagesInUse(string binary)
    {
        ImageRecord app = null!;
        ImageRecord used = null!;
        await using var daemon = await TestDaemon.StartAsync(d =>
        {
            using var images = new ImageService(new ImageServiceOptions { Root = d.Root });
            app = TestImages.WriteBusybox(images, "app:1");
            images.Tag("app:1", ImageName.Parse("app:2"));
            used = TestImages.WriteSmall(images, "used:1");
            images.Metadata.PutLease(new ImageLease(EngineContainer.LeaseIdFor(Fixture.Id('u')), used.Manifest, "container user"));
        });
        var cli = Cli(daemon, binary);

        var dangling = await cli.OkAsync("image", "prune", "-f");
        var all = await cli.OkAsync("image", "prune", "-a", "-f");
        var left = await cli.OkAsync("images", "--format", "{{.Repository}}:{{.Tag}}");

        Assert.DoesNotContain("Deleted Images", dangling, StringComparison.Ordinal);
        Assert.Contains("Deleted Images:\n", all, StringComparison.Ordinal);
        Assert.Contains("untagged: app:1\n", all, StringComparison.Ordinal);
        Assert.Contains("untagged: app:2\n", all, StringComparison.Ordinal);
        Assert.Contains($"deleted: {app.Config}\n", all, StringComparison.Ordinal);
        Assert.Equal("used:1\n", left);
        // The layer's blob went with the image.
        Assert.False(File.Exists(Path.Combine(daemon.Root, "blobs", "sha256", app.Config.Encoded)));
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Login_HtpasswdRegistry_PrivatePullAndPush(string binary)
    {
        await using var daemon = await DaemonWithAppAsync();
        var cli = Cli(daemon, binary);
        var host = registries.AuthHost;
        var reference = $"{host}/{ImageRegistries.Repository}:{ImageRegistries.Tag}";

        var anonymous = await cli.RunAsync("pull", reference);
        var wrong = await cli.RunAsync("login", "-u", ImageRegistries.User, "-p", "wrong", host);
        var login = await cli.OkAsync("login", "-u", ImageRegistries.User, "-p", ImageRegistries.Password, host);
        var pull = await cli.OkAsync("pull", reference);
        await cli.OkAsync("tag", "app:1", $"{host}/private/{Kind(binary)}:1");
        var push = await cli.OkAsync("push", $"{host}/private/{Kind(binary)}:1");

        Assert.NotEqual(0, anonymous.Exit);
        Assert.NotEqual(0, wrong.Exit);
        Assert.Contains($"login attempt to http://{host}/v2/ failed with status: 401 Unauthorized", wrong.Stderr, StringComparison.Ordinal);
        Assert.Contains("Login Succeeded", login, StringComparison.Ordinal);
        Assert.Contains($"{registries.LayerId}: Pull complete\n", pull, StringComparison.Ordinal);
        Assert.Matches(@"1: digest: sha256:[0-9a-f]{64} size: \d+", push);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current, "1.99", "client version 1.99 is too new. Maximum supported API version is 1.56")]
    [InlineData(DockerCli.Current, "1.23", "client version 1.23 is too old. Minimum supported API version is 1.24")]
    [InlineData(DockerCli.Debian, "1.23", "client version 1.23 is too old. Minimum supported API version is 1.24")]
    public async Task Images_UnknownApiVersion_DockersError(string binary, string version, string message)
    {
        await using var daemon = await DaemonWithAppAsync();
        var cli = Cli(daemon, binary, environment: new Dictionary<string, string> { ["DOCKER_API_VERSION"] = version });

        var (exit, _, stderr) = await cli.RunAsync("images");

        Assert.NotEqual(0, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }
}
