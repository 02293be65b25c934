using System.CommandLine;
using System.Text.Json;
using Strata.Cli.Client;
using Strata.Engine.Api.Router.Image;
using Strata.Engine.Api.Types;
using Strata.Images;
using Strata.Images.Distribution;

namespace Strata.Cli.Commands;

/// <summary>
/// Pulls through the engine (POST /images/create), as docker pull and run's implicit pull do: the reference
/// split into fromImage and tag, the caller's stored credentials for the registry sent as X-Registry-Auth,
/// the progress stream drawn by <see cref="JsonMessageView"/>.
/// </summary>
internal static class ImagePull
{
    public static async Task PullAsync(EngineClient client, ParseResult parse, string reference, JsonMessageView view, CancellationToken cancellationToken, string? platform = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(view);
        var name = ImageName.Parse(reference);
        var tag = name.Digest?.ToString() ?? name.Tag ?? "latest";
        var path = "/images/create?fromImage=" + Uri.EscapeDataString(name.FamiliarRepository) + "&tag=" + Uri.EscapeDataString(tag)
            + (platform is null ? "" : "&platform=" + Uri.EscapeDataString(platform))
            + TlsQuery(parse, "&");
        using var response = await client.SendAsync(HttpMethod.Post, path, null, cancellationToken, headers: AuthHeader(parse, name.Registry)).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await view.ShowAsync(body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>X-Registry-Auth with the stored credentials for <paramref name="registry"/>, or no header when there are none.</summary>
    public static Dictionary<string, string> AuthHeader(ParseResult parse, string registry)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        if (CredentialStore.Default(parse.GetValue(GlobalFlags.AuthFile)).Find(registry) is { } credential)
        {
            headers[RegistryAuth.Header] = Encode(new AuthConfig { Username = credential.Username, Password = credential.Password, ServerAddress = registry });
        }
        return headers;
    }

    /// <summary>base64url JSON, as the docker CLI encodes an AuthConfig for X-Registry-Auth.</summary>
    public static string Encode(AuthConfig config) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(config, EngineApiJson.Default.AuthConfig)).Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// "tlsVerify=false" (after <paramref name="separator"/>) when --tls-verify=false was given: the engine
    /// reaches the registry as an insecure one for this request (Strata's parameter, podman's spelling).
    /// </summary>
    public static string TlsQuery(ParseResult parse, string separator)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.GetValue(GlobalFlags.TlsVerify) ? "" : separator + "tlsVerify=false";
    }
}
