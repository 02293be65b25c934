using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;
using Strata.Engine.Exec;

namespace Strata.Engine.Api.Router.Exec;

/// <summary>/containers/{name}/exec and /exec/… (moby's api/server/router/container/exec.go).</summary>
public static class ExecRoutes
{
    public static void Map(IEndpointRouteBuilder endpoints, IExecBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        endpoints.MapPost("/containers/{name}/exec", c => EngineErrors.Guard(c, c => Create(c, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/exec/{id}/start", c => EngineErrors.Guard(c, c => Start(c, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/exec/{id}/resize", c => EngineErrors.Guard(c, c => Resize(c, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapGet("/exec/{id}/json", c => EngineErrors.Guard(c, c => Inspect(c, backend))).WithMetadata(DockerRoute.Instance);
    }

    private static async Task Create(HttpContext context, IExecBackend backend)
    {
        var request = await EngineErrors.ReadBodyAsync(context, EngineApiJson.Default.ExecCreateRequest).ConfigureAwait(false);
        if (request is null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, "config cannot be empty in order to create an exec").ConfigureAwait(false);
            return;
        }
        var config = new ExecConfig
        {
            Cmd = request.Cmd ?? [],
            Env = request.Env ?? [],
            WorkingDir = request.WorkingDir ?? "",
            User = request.User ?? "",
            Tty = request.Tty,
            Privileged = request.Privileged,
            AttachStdin = request.AttachStdin,
            AttachStdout = request.AttachStdout,
            AttachStderr = request.AttachStderr,
            ConsoleSize = Size(request.ConsoleSize),
        };
        var id = backend.CreateExec(Route(context, "name"), config);
        context.Response.StatusCode = StatusCodes.Status201Created;
        await ApiJson.WriteAsync(context, new IdResponse(id), EngineApiJson.Default.IdResponse).ConfigureAwait(false);
    }

    private static async Task Start(HttpContext context, IExecBackend backend)
    {
        var exec = Find(context, backend);
        if (exec is null)
        {
            await NoSuchExec(context).ConfigureAwait(false);
            return;
        }
        var request = await EngineErrors.ReadBodyAsync(context, EngineApiJson.Default.ExecStartRequest).ConfigureAwait(false) ?? new ExecStartRequest();
        if (Size(request.ConsoleSize) is { } size)
            exec.Resize(size);
        if (request.Detach)
        {
            await backend.StartExecAsync(exec, null, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }
        if (exec.Started)
        {
            // Refused before the hijack, so the client sees docker's 409 rather than a stream.
            throw new EngineException(EngineErrorCode.Conflict, exec.Running ? $"Exec command {exec.Id} is already running" : $"Exec command {exec.Id} has already run");
        }
        var stream = await HijackedStream.StartAsync(context, multiplexed: !exec.Config.Tty).ConfigureAwait(false);
        try
        {
            await backend.StartExecAsync(exec, stream, context.RequestAborted).ConfigureAwait(false);
        }
        catch (EngineException e)
        {
            // After the hijack an error can only go into the stream, as dockerd writes it.
            await WriteQuietlyAsync(stream, e.Message + "\r\n", context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static async Task Resize(HttpContext context, IExecBackend backend)
    {
        var exec = Find(context, backend);
        if (exec is null)
        {
            await NoSuchExec(context).ConfigureAwait(false);
            return;
        }
        var size = EngineErrors.ResizeQuery(context);
        exec.Resize(size);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private static async Task Inspect(HttpContext context, IExecBackend backend)
    {
        var exec = Find(context, backend);
        if (exec is null)
        {
            await NoSuchExec(context).ConfigureAwait(false);
            return;
        }
        var config = exec.Config;
        var response = new ExecInspectResponse
        {
            ID = exec.Id,
            Running = exec.Running,
            ExitCode = exec.ExitCode,
            ProcessConfig = new ExecProcessConfig
            {
                Tty = config.Tty,
                Entrypoint = config.Cmd.Count > 0 ? config.Cmd[0] : "",
                Arguments = [.. config.Cmd.Skip(1)],
                Privileged = config.Privileged,
                User = config.User.Length > 0 ? config.User : null,
            },
            OpenStdin = config.AttachStdin,
            OpenStdout = config.AttachStdout,
            OpenStderr = config.AttachStderr,
            ContainerID = exec.ContainerId,
            Pid = exec.Pid,
        };
        await ApiJson.WriteAsync(context, response, EngineApiJson.Default.ExecInspectResponse).ConfigureAwait(false);
    }

    private static ExecInstance? Find(HttpContext context, IExecBackend backend) => backend.FindExec(Route(context, "id"));

    /// <summary>moby's execNotFound: 404 "No such exec instance: ID".</summary>
    private static Task NoSuchExec(HttpContext context) =>
        ApiError.WriteAsync(context, StatusCodes.Status404NotFound, $"No such exec instance: {Route(context, "id")}");

    private static string Route(HttpContext context, string name) => context.Request.RouteValues[name]?.ToString() ?? "";

    private static WindowSizeRequest? Size(List<uint>? consoleSize) =>
        consoleSize is [var h, var w] && h > 0 && w > 0 ? new WindowSizeRequest((ushort)Math.Min(h, ushort.MaxValue), (ushort)Math.Min(w, ushort.MaxValue)) : null;

    private static async Task WriteQuietlyAsync(HijackedStream stream, string text, CancellationToken cancellationToken)
    {
        try
        {
            await stream.WriteAsync(Strata.Logs.StdStream.Stdout, Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
