namespace Strata.Images;

/// <summary>What went wrong, stable enough for callers and tests to branch on.</summary>
public enum ImageErrorCode
{
    Unknown,
    InvalidReference,
    DigestMismatch,
    SizeMismatch,
    BlobUnknown,
    ManifestUnknown,
    NameUnknown,
    Unauthorized,
    Denied,
    UnsupportedMediaType,
    PlatformNotFound,
    Registry,
    LayerEscapes,
    InvalidLayer,
    ImageNotFound,
    InUse,
    InvalidArchive,

    /// <summary>The store's filesystem refused a write (no space left, quota, I/O error): not worth retrying.</summary>
    StoreWrite,
}

/// <summary>A failure of the image store, a registry exchange, or an unpack.</summary>
public sealed class ImageException : Exception
{
    public ImageException(ImageErrorCode code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    public ImageException() { }
    public ImageException(string message) : base(message) { }
    public ImageException(string message, Exception inner) : base(message, inner) { }

    public ImageErrorCode Code { get; }

    /// <summary>The registry's own error code when it sent one (distribution-spec "Error Codes"): MANIFEST_UNKNOWN.</summary>
    public string? RegistryCode { get; init; }

    /// <summary>The message the registry sent with <see cref="RegistryCode"/>.</summary>
    public string? RegistryMessage { get; init; }
}
