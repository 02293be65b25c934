using System.Text.Json;
using Strata.Registry.Api;

namespace Strata.Registry;

/// <summary>
/// Every setting of the registry. The JSON config file has this shape (camelCase); each setting also has a
/// command-line flag in `strata registry serve`, which wins over the file.
/// </summary>
public sealed class RegistryOptions
{
    /// <summary>host:port to listen on; port 0 picks a free port.</summary>
    public string Listen { get; set; } = "127.0.0.1:5000";

    /// <summary>Root directory of the filesystem storage driver.</summary>
    public string Storage { get; set; } = "";

    /// <summary>Whether DELETE of manifests, tags and blobs is allowed (distribution-spec "Content Management").</summary>
    public bool DeleteEnabled { get; set; } = true;

    /// <summary>The largest manifest accepted; the spec asks registries to take at least 4 MiB.</summary>
    public long MaxManifestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The most tags or repositories returned in one page when the client gives no smaller n.</summary>
    public int MaxPageSize { get; set; } = 1000;

    public TlsOptions Tls { get; set; } = new();
    public AuthOptions Auth { get; set; } = new();
    public UploadOptions Uploads { get; set; } = new();
    public GcOptions Gc { get; set; } = new();
    public LogOptions Log { get; set; } = new();

    /// <summary>Reads a JSON config file; unknown settings are errors so a typo is not silently ignored.</summary>
    public static RegistryOptions Load(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            var options = new JsonSerializerOptions(RegistryJsonContext.Default.Options)
            {
                UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
                ReadCommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            };
            return (RegistryOptions?)JsonSerializer.Deserialize(bytes, typeof(RegistryOptions), new RegistryJsonContext(options))
                ?? throw new InvalidDataException($"{path}: the config is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}

public sealed class TlsOptions
{
    /// <summary>PEM certificate (chain) or PKCS#12 file; TLS is on when set.</summary>
    public string? Certificate { get; set; }

    /// <summary>PEM private key, when <see cref="Certificate"/> is PEM.</summary>
    public string? Key { get; set; }
}

public enum AuthMode
{
    None,
    Htpasswd,
    Token,
}

public sealed class AuthOptions
{
    public AuthMode Mode { get; set; } = AuthMode.None;

    /// <summary>htpasswd file with bcrypt entries ("user:$2y$..."), for both htpasswd and token modes.</summary>
    public string? Htpasswd { get; set; }

    /// <summary>Realm of the Basic challenge, or URL of the token endpoint; derived from the request when unset.</summary>
    public string? Realm { get; set; }

    /// <summary>Let clients without credentials pull.</summary>
    public bool AnonymousPull { get; set; }

    public TokenOptions Token { get; set; } = new();
}

public sealed class TokenOptions
{
    /// <summary>The "service" of the token flow and the audience of tokens.</summary>
    public string Service { get; set; } = "strata-registry";

    public string Issuer { get; set; } = "strata-registry";

    /// <summary>PEM file of the ECDSA P-256 key that signs tokens; a fresh key per start when unset.</summary>
    public string? SigningKey { get; set; }

    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(5);
}

public sealed class UploadOptions
{
    /// <summary>Uploads with no activity for this long are deleted.</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromHours(24);

    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Mount a blob named by POST ?mount= without from from any repository holding it that the client may
    /// pull. Off, such a request starts an upload (202), as without cross-repository mounting.
    /// </summary>
    public bool AutomaticMount { get; set; } = true;
}

public sealed class GcOptions
{
    /// <summary>Blobs written or referenced more recently than this are never swept, so that blobs pushed
    /// ahead of their manifest survive a collection (see <see cref="Gc.GarbageCollector"/>).</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromHours(1);
}

public enum LogFormat
{
    Text,
    Json,
}

public sealed class LogOptions
{
    public Microsoft.Extensions.Logging.LogLevel Level { get; set; } = Microsoft.Extensions.Logging.LogLevel.Information;
    public LogFormat Format { get; set; } = LogFormat.Text;
}
