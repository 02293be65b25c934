using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;
using Strata.Images;
using Strata.Images.Distribution;

namespace Strata.Engine.Api.Daemon;

/// <summary>POST /auth (moby's registry service Auth: loginV2), and the daemon's own credential store.</summary>
public sealed partial class EngineDaemon
{
    /// <summary>The daemon's credentials, ROOT/auth.json (docker's auth-file format, 0600): what logins through the API kept.</summary>
    public const string CredentialFile = "auth.json";

    public async Task<AuthResponse> LoginAsync(AuthConfig config, bool tlsVerify, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        var registry = RegistryOf(config.ServerAddress);
        var credential = CredentialOf(config) ?? throw new ApiException(401, "unauthorized: a username and password are required");
        using var client = _images.CreateClient(registry, credential, tlsVerify);
        try
        {
            await client.CheckAuthAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ImageException e) when (e.Code is ImageErrorCode.Unauthorized or ImageErrorCode.Denied)
        {
            var endpoint = client.BaseAddress is { } uri ? uri.ToString().TrimEnd('/') + "/v2/" : registry;
            throw new ApiException(401, $"login attempt to {endpoint} failed with status: 401 Unauthorized");
        }
        catch (ImageException e)
        {
            throw new ApiException(500, e.Message);
        }
        lock (_lock)
        {
            _credentials.Save(registry, credential);
        }
        return new AuthResponse("", "Login Succeeded");
    }

    /// <summary>The registry a login's serveraddress names: "127.0.0.1:5000", or docker.io for Docker Hub's index URL or none.</summary>
    internal static string RegistryOf(string? serverAddress)
    {
        var address = (serverAddress ?? "").Trim();
        foreach (var scheme in new[] { "https://", "http://" })
        {
            if (address.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                address = address[scheme.Length..];
            }
        }
        var slash = address.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            address = address[..slash];
        }
        return address is "" or "index.docker.io" or "registry-1.docker.io" ? ImageName.DefaultRegistry : address;
    }
}
