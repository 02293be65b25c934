using Strata.Oci.Distribution;
using System.Diagnostics;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strata.Oci.Image;
using Strata.Registry.Auth;
using Strata.Registry.Operations;
using Strata.Registry.Storage;

namespace Strata.Registry.Api;

/// <summary>
/// The /v2/ endpoints of distribution-spec v1.1. One entry point parses the path, authorizes, dispatches by
/// route and method, and turns <see cref="RegistryException"/> into the spec's error body; the endpoints
/// themselves are in the partial files by feature.
/// </summary>
public sealed partial class DistributionApi(
    BlobStore blobs,
    ManifestStore manifests,
    UploadStore uploads,
    IAccessController access,
    RegistryMetrics metrics,
    RegistryOptions options,
    ILogger<DistributionApi> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var label = "other";
        var request = context.Request;
        context.Response.Headers[DistributionHeaders.ApiVersion] = DistributionHeaders.ApiVersionValue;
        try
        {
            var path = request.Path.Value ?? "";
            var rest = path.Length > 4 ? path[4..] : "";
            var route = DistributionRoute.Parse(rest)
                ?? throw new RegistryException(ErrorCode.Unsupported, "unknown endpoint", StatusCodes.Status404NotFound);
            label = route.Label;
            await AuthorizeAsync(context, route).ConfigureAwait(false);
            await DispatchAsync(context, route).ConfigureAwait(false);
        }
        catch (RegistryException e)
        {
            RegistryLog.RequestRejected(logger, request.Method, request.Path, e.Code.Code, e.Detail);
            await WriteErrorAsync(context, e).ConfigureAwait(false);
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested || e is BadHttpRequestException or IOException && IsClientGone(e))
        {
            // The client went away mid-request; whatever it sent is either staged or discarded, never committed.
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
            }
        }
        catch (Exception e)
        {
            RegistryLog.RequestFailed(logger, e, request.Method, request.Path);
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            }
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            metrics.RecordRequest(request.Method, label, context.Response.StatusCode, elapsed);
            RegistryLog.RequestCompleted(logger, request.Method, request.Path, context.Response.StatusCode, elapsed.TotalMilliseconds,
                context.Items.TryGetValue(AuthItems.User, out var user) ? user as string ?? "" : "");
        }
    }

    private Task DispatchAsync(HttpContext context, DistributionRoute route)
    {
        var method = context.Request.Method;
        var get = HttpMethods.IsGet(method);
        var head = HttpMethods.IsHead(method);
        return (route.Kind, method) switch
        {
            (RouteKind.Base, _) when get || head => WriteJsonAsync(context, StatusCodes.Status200OK, "{}"u8.ToArray()),
            (RouteKind.Catalog, _) when get => ListCatalogAsync(context),
            (RouteKind.Tags, _) when get => ListTagsAsync(context, route),
            (RouteKind.Referrers, _) when get => ListReferrersAsync(context, route),
            (RouteKind.Manifest, _) when get || head => GetManifestAsync(context, route, head),
            (RouteKind.Manifest, "PUT") => PutManifestAsync(context, route),
            (RouteKind.Manifest, "DELETE") => DeleteManifestAsync(context, route),
            (RouteKind.Blob, _) when get || head => GetBlobAsync(context, route, head),
            (RouteKind.Blob, "DELETE") => DeleteBlobAsync(context, route),
            (RouteKind.UploadStart, "POST") => StartUploadAsync(context, route),
            (RouteKind.Upload, "GET") => UploadStatusAsync(context, route),
            (RouteKind.Upload, "PATCH") => PatchUploadAsync(context, route),
            (RouteKind.Upload, "PUT") => CompleteUploadAsync(context, route),
            (RouteKind.Upload, "DELETE") => CancelUploadAsync(context, route),
            _ => throw new RegistryException(ErrorCode.Unsupported, $"{method} is not supported on this endpoint"),
        };
    }

    /// <summary>What a request needs (distribution docs/spec/auth/scope.md): pull to read, pull and push to
    /// write, delete to delete, and pull on the source repository of a mount.</summary>
    private async Task AuthorizeAsync(HttpContext context, DistributionRoute route)
    {
        var method = context.Request.Method;
        var wanted = new List<AccessRequest>();
        switch (route.Kind)
        {
            case RouteKind.Base:
                break;
            case RouteKind.Catalog:
                wanted.Add(AccessRequest.Catalog());
                break;
            case RouteKind.UploadStart or RouteKind.Upload:
                wanted.Add(AccessRequest.Repository(route.Name, AccessRequest.Pull, AccessRequest.Push));
                if (context.Request.Query["from"].ToString() is { Length: > 0 } from && from != route.Name && Reference.IsValidRepository(from))
                {
                    wanted.Add(AccessRequest.Repository(from, AccessRequest.Pull));
                }
                break;
            case RouteKind.Manifest when HttpMethods.IsPut(method):
                wanted.Add(AccessRequest.Repository(route.Name, AccessRequest.Pull, AccessRequest.Push));
                break;
            case RouteKind.Manifest or RouteKind.Blob when HttpMethods.IsDelete(method):
                wanted.Add(AccessRequest.Repository(route.Name, AccessRequest.Delete));
                break;
            default:
                wanted.Add(AccessRequest.Repository(route.Name, AccessRequest.Pull));
                break;
        }
        var result = await access.AuthorizeAsync(context, wanted).ConfigureAwait(false);
        if (!result.Allowed)
        {
            context.Response.Headers.WWWAuthenticate = result.Challenge;
            throw new RegistryException(ErrorCode.Unauthorized, result.Detail);
        }
    }

    public static async Task WriteErrorAsync(HttpContext context, RegistryException e)
    {
        if (context.Response.HasStarted)
        {
            return;
        }
        context.Response.StatusCode = e.Status;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }
        await WriteJsonAsync(context, e.Status, ErrorBody.From(e.Code, e.Detail), DistributionJsonContext.Default.ErrorBody).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type, string contentType = "application/json")
    {
        var bytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, type);
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, byte[] bytes)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static bool IsClientGone(Exception e) =>
        e is BadHttpRequestException or Microsoft.AspNetCore.Connections.ConnectionResetException || e.InnerException is not null && IsClientGone(e.InnerException);

    private static Digest ParseDigest(string value) =>
        Digest.TryParse(value, out var digest, out var error) ? digest : throw new RegistryException(ErrorCode.DigestInvalid, error);
}
