using Microsoft.Extensions.Logging;

namespace Strata.Registry.Operations;

/// <summary>Log messages with stable event ids and named properties.</summary>
internal static partial class RegistryLog
{
    [LoggerMessage(1, LogLevel.Information, "{Method} {Path} {Status} {ElapsedMs:0.0}ms {User}")]
    public static partial void RequestCompleted(ILogger logger, string method, string path, int status, double elapsedMs, string user);

    [LoggerMessage(2, LogLevel.Information, "blob {Digest} committed to {Repository} ({Size} bytes)")]
    public static partial void BlobCommitted(ILogger logger, string repository, string digest, long size);

    [LoggerMessage(3, LogLevel.Information, "manifest {Digest} put in {Repository} as {Reference}")]
    public static partial void ManifestPut(ILogger logger, string repository, string reference, string digest);

    [LoggerMessage(4, LogLevel.Warning, "{Method} {Path} failed: {Code} {Detail}")]
    public static partial void RequestRejected(ILogger logger, string method, string path, string code, string? detail);

    [LoggerMessage(5, LogLevel.Error, "{Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(6, LogLevel.Information, "purged {Count} expired uploads")]
    public static partial void UploadsPurged(ILogger logger, int count);

    [LoggerMessage(7, LogLevel.Information, "gc: {Action} blob {Digest} ({Size} bytes)")]
    public static partial void GcBlob(ILogger logger, string action, string digest, long size);

    [LoggerMessage(8, LogLevel.Information, "gc: marked {Marked} blobs in {Repositories} repositories, swept {Swept} ({Bytes} bytes), dry run {DryRun}")]
    public static partial void GcDone(ILogger logger, int marked, int repositories, int swept, long bytes, bool dryRun);

    [LoggerMessage(9, LogLevel.Warning, "gc: manifest {Digest} in {Repository} is unreadable; its references are not marked")]
    public static partial void GcUnreadableManifest(ILogger logger, string repository, string digest);

    [LoggerMessage(10, LogLevel.Warning, "token signing key not configured: tokens are signed with a key that lives until restart")]
    public static partial void EphemeralTokenKey(ILogger logger);

    [LoggerMessage(11, LogLevel.Information, "blob {Digest} mounted into {Repository} from {Source} (no from given)")]
    public static partial void BlobMounted(ILogger logger, string repository, string digest, string source);
}
