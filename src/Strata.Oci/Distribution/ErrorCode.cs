using System.Diagnostics.CodeAnalysis;

namespace Strata.Oci.Distribution;

/// <summary>
/// An error code of distribution-spec v1.1 ("Error Codes"), registered once with its message and HTTP status
/// (as distribution's registry/api/errcode/register.go does): the registry answers with it, and a client
/// finds it again by the code in an error body.
/// </summary>
public sealed class ErrorCode
{
    private static readonly Dictionary<string, ErrorCode> Registered = new(StringComparer.Ordinal);

    private ErrorCode(string code, string message, int status)
    {
        Code = code;
        Message = message;
        Status = status;
    }

    public string Code { get; }
    public string Message { get; }
    public int Status { get; }

    public static readonly ErrorCode BlobUnknown = Register("BLOB_UNKNOWN", "blob unknown to registry", 404);
    public static readonly ErrorCode BlobUploadInvalid = Register("BLOB_UPLOAD_INVALID", "blob upload invalid", 400);
    public static readonly ErrorCode BlobUploadUnknown = Register("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", 404);
    public static readonly ErrorCode DigestInvalid = Register("DIGEST_INVALID", "provided digest did not match uploaded content", 400);
    public static readonly ErrorCode ManifestBlobUnknown = Register("MANIFEST_BLOB_UNKNOWN", "manifest references a manifest or blob unknown to registry", 400);
    public static readonly ErrorCode ManifestInvalid = Register("MANIFEST_INVALID", "manifest invalid", 400);
    public static readonly ErrorCode ManifestUnknown = Register("MANIFEST_UNKNOWN", "manifest unknown to registry", 404);
    public static readonly ErrorCode NameInvalid = Register("NAME_INVALID", "invalid repository name", 400);
    public static readonly ErrorCode NameUnknown = Register("NAME_UNKNOWN", "repository name not known to registry", 404);
    public static readonly ErrorCode SizeInvalid = Register("SIZE_INVALID", "provided length did not match content length", 400);
    public static readonly ErrorCode Unauthorized = Register("UNAUTHORIZED", "authentication required", 401);
    public static readonly ErrorCode Denied = Register("DENIED", "requested access to the resource is denied", 403);
    public static readonly ErrorCode Unsupported = Register("UNSUPPORTED", "the operation is unsupported", 405);
    public static readonly ErrorCode TooManyRequests = Register("TOOMANYREQUESTS", "too many requests", 429);

    /// <summary>Not in the OCI table; distribution answers an invalid n with it.</summary>
    public static readonly ErrorCode PaginationNumberInvalid = Register("PAGINATION_NUMBER_INVALID", "invalid number of results requested", 400);

    /// <summary>Every registered code.</summary>
    public static IReadOnlyCollection<ErrorCode> All => Registered.Values;

    /// <summary>The registered code named <paramref name="code"/> (as an error body spells it).</summary>
    public static bool TryFind(string? code, [NotNullWhen(true)] out ErrorCode? errorCode)
    {
        errorCode = null;
        return code is not null && Registered.TryGetValue(code, out errorCode);
    }

    public override string ToString() => Code;

    private static ErrorCode Register(string code, string message, int status)
    {
        var errorCode = new ErrorCode(code, message, status);
        Registered.Add(code, errorCode);
        return errorCode;
    }
}
