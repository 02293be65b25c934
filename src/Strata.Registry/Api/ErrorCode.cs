namespace Strata.Registry.Api;

/// <summary>
/// An error code of distribution-spec v1.1 ("Error Codes"), registered once with its HTTP status
/// (as distribution registry/api/errcode/register.go does).
/// </summary>
public sealed class ErrorCode
{
    private ErrorCode(string code, string message, int status)
    {
        Code = code;
        Message = message;
        Status = status;
    }

    public string Code { get; }
    public string Message { get; }
    public int Status { get; }

    public static readonly ErrorCode BlobUnknown = new("BLOB_UNKNOWN", "blob unknown to registry", 404);
    public static readonly ErrorCode BlobUploadInvalid = new("BLOB_UPLOAD_INVALID", "blob upload invalid", 400);
    public static readonly ErrorCode BlobUploadUnknown = new("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", 404);
    public static readonly ErrorCode DigestInvalid = new("DIGEST_INVALID", "provided digest did not match uploaded content", 400);
    public static readonly ErrorCode ManifestBlobUnknown = new("MANIFEST_BLOB_UNKNOWN", "manifest references a manifest or blob unknown to registry", 400);
    public static readonly ErrorCode ManifestInvalid = new("MANIFEST_INVALID", "manifest invalid", 400);
    public static readonly ErrorCode ManifestUnknown = new("MANIFEST_UNKNOWN", "manifest unknown to registry", 404);
    public static readonly ErrorCode NameInvalid = new("NAME_INVALID", "invalid repository name", 400);
    public static readonly ErrorCode NameUnknown = new("NAME_UNKNOWN", "repository name not known to registry", 404);
    public static readonly ErrorCode SizeInvalid = new("SIZE_INVALID", "provided length did not match content length", 400);
    public static readonly ErrorCode Unauthorized = new("UNAUTHORIZED", "authentication required", 401);
    public static readonly ErrorCode Denied = new("DENIED", "requested access to the resource is denied", 403);
    public static readonly ErrorCode Unsupported = new("UNSUPPORTED", "the operation is unsupported", 405);
    /// <summary>Not in the OCI table; distribution answers an invalid n with it.</summary>
    public static readonly ErrorCode PaginationNumberInvalid = new("PAGINATION_NUMBER_INVALID", "invalid number of results requested", 400);
    public static readonly ErrorCode TooManyRequests = new("TOOMANYREQUESTS", "too many requests", 429);

    public override string ToString() => Code;
}

/// <summary>A protocol failure a handler reports; the router writes it as the spec's JSON error body.</summary>
public sealed class RegistryException(ErrorCode code, string? detail = null, int? status = null)
    : Exception(detail is null ? code.Message : $"{code.Message}: {detail}")
{
    public ErrorCode Code { get; } = code;
    public string? Detail { get; } = detail;

    /// <summary>The HTTP status: the code's own unless the spec asks for another (416 for an out-of-order chunk).</summary>
    public int Status { get; } = status ?? code.Status;
}
