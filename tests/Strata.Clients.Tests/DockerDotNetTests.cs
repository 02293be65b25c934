using System.Formats.Tar;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Strata.Engine.Api.Server;

namespace Strata.Clients.Tests;

/// <summary>Docker.DotNet (the Enhanced fork Testcontainers builds on), used directly against a Strata daemon.</summary>
public sealed class DockerDotNetTests : IAsyncLifetime
{
    private ClientDaemon _daemon = null!;
    private DockerClient _client = null!;

    public async Task InitializeAsync()
    {
        _daemon = await ClientDaemon.StartAsync();
        _client = new DockerClientBuilder().WithEndpoint(new Uri(_daemon.Endpoint)).Build();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _daemon.DisposeAsync();
    }

    [SkippableFact]
    public async Task Container_CreateStartInspectLogsExecArchiveStopRemove()
    {
        var version = await _client.System.GetVersionAsync();
        Assert.Equal(ApiVersion.Max.ToString(), version.APIVersion);

        var created = await _client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = ClientDaemon.Image,
            Name = "dotnet-web",
            Cmd = ["sh", "-c", "echo hello; echo oops >&2; exec sleep 300"],
            Labels = new Dictionary<string, string> { ["test"] = "docker.dotnet" },
        });
        Assert.Equal(64, created.ID.Length);
        await _client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());

        var inspect = await _client.Containers.InspectContainerAsync("dotnet-web");
        Assert.True(inspect.State!.Running);
        Assert.Equal("/dotnet-web", inspect.Name);
        Assert.Equal("docker.dotnet", inspect.Config!.Labels!["test"]);

        // Logs: the multiplexed stream, stdout and stderr apart.
        string stdout = "", stderr = "";
        for (var i = 0; i < 50 && stdout.Length == 0; i++)
        {
            using var logs = await _client.Containers.GetContainerLogsAsync(created.ID, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, CancellationToken.None);
            (stdout, stderr) = await logs.ReadOutputToEndAsync(CancellationToken.None);
            await Task.Delay(100);
        }
        Assert.Equal("hello\n", stdout);
        Assert.Equal("oops\n", stderr);

        // Exec, hijacked, with its exit code.
        var exec = await _client.Exec.CreateContainerExecAsync(created.ID, new ContainerExecCreateParameters
        {
            Cmd = ["sh", "-c", "cat /etc/hostname; exit 7"],
            AttachStdout = true,
            AttachStderr = true,
        });
        using (var stream = await _client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), CancellationToken.None))
        {
            var (execOut, _) = await stream.ReadOutputToEndAsync(CancellationToken.None);
            Assert.Equal(created.ID[..12] + "\n", execOut);
        }
        var execInspect = await _client.Exec.InspectContainerExecAsync(exec.ID);
        Assert.False(execInspect.Running);
        Assert.Equal(7, execInspect.ExitCode);

        // Archive: a file in, the same file out.
        using (var tar = new MemoryStream())
        {
            await using (var writer = new TarWriter(tar, leaveOpen: true))
            {
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "note.txt") { DataStream = new MemoryStream("a note\n"u8.ToArray()) });
            }
            tar.Position = 0;
            await _client.Containers.ExtractArchiveToContainerAsync(created.ID, new CopyToContainerParameters { Path = "/tmp" }, tar);
        }
        var archive = await _client.Containers.GetArchiveFromContainerAsync(created.ID, new ContainerPathStatParameters { Path = "/tmp/note.txt" }, statOnly: false);
        Assert.Equal("note.txt", archive.Stat!.Name);
        // Docker.DotNet's chunked response stream throws on a zero-length read, which TarReader issues at the end
        // of an entry's data; a client buffers the archive first, as Testcontainers' ReadFileAsync does.
        using var buffered = new MemoryStream();
        await archive.Stream!.CopyToAsync(buffered);
        buffered.Position = 0;
        await using (var reader = new TarReader(buffered))
        {
            var entry = await reader.GetNextEntryAsync();
            Assert.Equal("note.txt", entry!.Name);
            Assert.Equal("a note\n", await new StreamReader(entry.DataStream!).ReadToEndAsync());
        }

        Assert.True(await _client.Containers.StopContainerAsync(created.ID, new ContainerStopParameters { WaitBeforeKillSeconds = 1 }));
        var waited = await _client.Containers.WaitContainerAsync(created.ID);
        Assert.Equal(137, waited.StatusCode);
        await _client.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters());

        await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => _client.Containers.InspectContainerAsync(created.ID));
    }

    [SkippableFact]
    public async Task Create_UnknownImage_IsDockersNotFound()
    {
        var e = await Assert.ThrowsAsync<DockerImageNotFoundException>(() =>
            _client.Containers.CreateContainerAsync(new CreateContainerParameters { Image = "no/such-image:1" }));

        Assert.Contains("No such image: no/such-image:1", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Create_NameInUse_IsAConflict()
    {
        var parameters = new CreateContainerParameters { Image = ClientDaemon.Image, Name = "twice", Cmd = ["true"] };
        await _client.Containers.CreateContainerAsync(parameters);

        var e = await Assert.ThrowsAsync<DockerApiException>(() => _client.Containers.CreateContainerAsync(parameters));

        Assert.Equal(System.Net.HttpStatusCode.Conflict, e.StatusCode);
        var message = System.Text.Json.JsonDocument.Parse(e.ResponseBody ?? "{}").RootElement.GetProperty("message").GetString();
        Assert.Contains("The container name \"/twice\" is already in use", message, StringComparison.Ordinal);
    }
}
