using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.Extensions.Logging;
using Strata.Registry;

namespace Strata.Cli.Commands;

/// <summary>
/// One flag per setting of <see cref="RegistryOptions"/>. The config file is read first; a flag given on
/// the command line then replaces the file's value.
/// </summary>
internal sealed class RegistryFlags
{
    private readonly Option<string> _config = new("--config") { Description = "JSON config file (the shape of RegistryOptions)." };
    private readonly Option<string> _listen = new("--listen") { Description = "host:port to listen on (default 127.0.0.1:5000)." };
    private readonly Option<string> _storage = new("--storage") { Description = "Storage root directory." };
    private readonly Option<bool> _deleteEnabled = new("--delete-enabled") { Description = "Allow DELETE of manifests, tags and blobs (default true)." };
    private readonly Option<long> _maxManifestBytes = new("--max-manifest-bytes") { Description = "Largest manifest accepted (default 4 MiB)." };
    private readonly Option<int> _maxPageSize = new("--max-page-size") { Description = "Most tags or repositories in one page (default 1000)." };
    private readonly Option<string> _tlsCert = new("--tls-cert") { Description = "TLS certificate: PEM (with --tls-key) or PKCS#12." };
    private readonly Option<string> _tlsKey = new("--tls-key") { Description = "TLS private key (PEM)." };
    private readonly Option<AuthMode> _auth = new("--auth") { Description = "none, htpasswd or token." };
    private readonly Option<string> _htpasswd = new("--htpasswd") { Description = "htpasswd file of bcrypt entries." };
    private readonly Option<string> _realm = new("--realm") { Description = "Basic realm, or token endpoint URL (default: derived from the request)." };
    private readonly Option<bool> _anonymousPull = new("--anonymous-pull") { Description = "Let clients without credentials pull." };
    private readonly Option<string> _tokenService = new("--token-service") { Description = "Service name and token audience." };
    private readonly Option<string> _tokenIssuer = new("--token-issuer") { Description = "Token issuer." };
    private readonly Option<string> _tokenKey = new("--token-key") { Description = "PEM ECDSA P-256 key signing tokens (default: a new key per start)." };
    private readonly Option<TimeSpan> _tokenLifetime = Duration("--token-lifetime", "Token lifetime (default 5m).");
    private readonly Option<TimeSpan> _uploadExpiry = Duration("--upload-expiry", "Delete uploads idle this long (default 24h).");
    private readonly Option<TimeSpan> _uploadPurgeInterval = Duration("--upload-purge-interval", "How often to purge uploads (default 1h).");
    private readonly Option<bool> _automaticMount = new("--automatic-mount") { Description = "Mount ?mount= without from from any repository the client may pull (default true)." };
    private readonly Option<TimeSpan> _gcGracePeriod = Duration("--gc-grace-period", "GC keeps blobs younger than this (default 1h).");
    private readonly Option<LogLevel> _logLevel = new("--log-level") { Description = "Trace, Debug, Information, Warning, Error." };
    private readonly Option<LogFormat> _logFormat = new("--log-format") { Description = "text or json." };

    private IEnumerable<Option> All =>
    [
        _config, _listen, _storage, _deleteEnabled, _maxManifestBytes, _maxPageSize, _tlsCert, _tlsKey, _auth, _htpasswd,
        _realm, _anonymousPull, _tokenService, _tokenIssuer, _tokenKey, _tokenLifetime, _uploadExpiry, _uploadPurgeInterval,
        _automaticMount, _gcGracePeriod, _logLevel, _logFormat,
    ];

    /// <summary>
    /// Adds the flags to <paramref name="command"/> and sets its action: the flags become options, then
    /// <paramref name="action"/> runs. A bad flag value or config file is exit code 2, a usage error.
    /// </summary>
    public void SetAction(Command command, Func<ParseResult, RegistryOptions, CancellationToken, Task<int>> action)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, cancellationToken) =>
        {
            RegistryOptions options;
            try
            {
                options = ToOptions(parse);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or FormatException)
            {
                await Console.Error.WriteLineAsync($"strata registry {command.Name}: {e.Message}").ConfigureAwait(false);
                return 2;
            }
            return await action(parse, options, cancellationToken).ConfigureAwait(false);
        });
    }

    private RegistryOptions ToOptions(ParseResult parse)
    {
        var options = parse.GetValue(_config) is { } config ? RegistryOptions.Load(config) : new RegistryOptions();
        Set(parse, _listen, v => options.Listen = v);
        Set(parse, _storage, v => options.Storage = v);
        Set(parse, _deleteEnabled, v => options.DeleteEnabled = v);
        Set(parse, _maxManifestBytes, v => options.MaxManifestBytes = v);
        Set(parse, _maxPageSize, v => options.MaxPageSize = v);
        Set(parse, _tlsCert, v => options.Tls.Certificate = v);
        Set(parse, _tlsKey, v => options.Tls.Key = v);
        Set(parse, _auth, v => options.Auth.Mode = v);
        Set(parse, _htpasswd, v => options.Auth.Htpasswd = v);
        Set(parse, _realm, v => options.Auth.Realm = v);
        Set(parse, _anonymousPull, v => options.Auth.AnonymousPull = v);
        Set(parse, _tokenService, v => options.Auth.Token.Service = v);
        Set(parse, _tokenIssuer, v => options.Auth.Token.Issuer = v);
        Set(parse, _tokenKey, v => options.Auth.Token.SigningKey = v);
        Set(parse, _tokenLifetime, v => options.Auth.Token.Lifetime = v);
        Set(parse, _uploadExpiry, v => options.Uploads.Expiry = v);
        Set(parse, _uploadPurgeInterval, v => options.Uploads.PurgeInterval = v);
        Set(parse, _automaticMount, v => options.Uploads.AutomaticMount = v);
        Set(parse, _gcGracePeriod, v => options.Gc.GracePeriod = v);
        Set(parse, _logLevel, v => options.Log.Level = v);
        Set(parse, _logFormat, v => options.Log.Format = v);
        if (string.IsNullOrEmpty(options.Storage))
        {
            throw new ArgumentException("--storage (or \"storage\" in the config file) is required");
        }
        return options;
    }

    private static void Set<T>(ParseResult parse, Option<T> option, Action<T> apply)
    {
        if (parse.GetResult(option) is { Implicit: false } && parse.GetValue(option) is { } value)
        {
            apply(value);
        }
    }

    /// <summary>A duration as "90s", "30m", "24h", "1h30m" or a TimeSpan ("01:30:00").</summary>
    private static Option<TimeSpan> Duration(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (TryParseDuration(text, out var value))
            {
                return value;
            }
            result.AddError($"{name}: '{text}' is not a duration (e.g. 90s, 30m, 24h, 1h30m)");
            return default;
        },
    };

    internal static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out value))
        {
            return true;
        }
        var number = 0L;
        var digits = false;
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c))
            {
                number = checked(number * 10 + (c - '0'));
                digits = true;
                continue;
            }
            if (!digits)
            {
                return false;
            }
            value += c switch
            {
                'h' => TimeSpan.FromHours(number),
                'm' => TimeSpan.FromMinutes(number),
                's' => TimeSpan.FromSeconds(number),
                'd' => TimeSpan.FromDays(number),
                _ => TimeSpan.MinValue,
            };
            if (value < TimeSpan.Zero)
            {
                return false;
            }
            (number, digits) = (0, false);
        }
        return !digits && text.Length > 0;
    }
}
