using System.Globalization;
using Microsoft.AspNetCore.Http;
using Strata.Engine.Api.Server;

namespace Strata.Engine.Api.Router.Image;

/// <summary>
/// Strata's own parameters of pull, push and /auth, beyond docker's: what `strata`'s registry flags need the
/// engine to know. Spelled as podman's libpod API spells the same things (tlsVerify, destination on
/// /libpod/images/pull and /libpod/images/{name}/push), so a docker client, which sends none, is unaffected.
/// </summary>
public sealed record RegistryTransfer
{
    public static readonly RegistryTransfer Default = new();

    /// <summary>
    /// tlsVerify=false: this request reaches the registry as an insecure one (https without certificate
    /// checks, then plain http), as `podman pull --tls-verify=false`. The daemon's own rule (loopback
    /// registries are insecure) still applies when it is true.
    /// </summary>
    public bool TlsVerify { get; init; } = true;

    /// <summary>Push only: the name to push the image to instead of its own (podman's destination).</summary>
    public string? Destination { get; init; }

    /// <summary>Push only: "auto", "monolithic" or "chunked"; null is auto.</summary>
    public string? Upload { get; init; }

    /// <summary>Push only: bytes per chunk of a chunked upload; null is the engine's default.</summary>
    public long? ChunkSize { get; init; }

    /// <summary>Push only: with auto, blobs larger than this go in chunks; null is the engine's default.</summary>
    public long? ChunkedThreshold { get; init; }

    /// <summary>The parameters of a request; a malformed one is a 400.</summary>
    public static RegistryTransfer Read(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var query = context.Request.Query;
        var upload = query["upload"].ToString();
        if (upload.Length > 0 && upload is not ("auto" or "monolithic" or "chunked"))
        {
            throw ApiException.BadRequest($"invalid upload mode \"{upload}\": auto, monolithic or chunked");
        }
        return new RegistryTransfer
        {
            // Absent is true: only an explicit false lowers the check.
            TlsVerify = !query.ContainsKey("tlsVerify") || Query.Bool(context, "tlsVerify"),
            Destination = query["destination"].ToString() is { Length: > 0 } destination ? destination : null,
            Upload = upload.Length > 0 ? upload : null,
            ChunkSize = Bytes(context, "chunkSize"),
            ChunkedThreshold = Bytes(context, "chunkedThreshold"),
        };
    }

    private static long? Bytes(HttpContext context, string name)
    {
        var text = context.Request.Query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw ApiException.BadRequest($"invalid {name} \"{text}\": a positive number of bytes");
    }
}
