using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Linux;

namespace Strata.Images.Distribution;

/// <summary>A username and password (or identity token) for one registry.</summary>
public sealed record Credential(string Username, string Password);

/// <summary>
/// Credentials in docker's auth-file format (<c>{"auths": {"host": {"auth": base64("user:pass")}}}</c>,
/// docker cli "config-file" and containers-auth.json(5)). Lookups try each file in order; <c>login</c> writes
/// the first one, atomically and mode 0600, keeping every other key of the file as it was.
/// </summary>
public sealed class CredentialStore
{
    private readonly IReadOnlyList<string> _files;

    /// <param name="files">Files to read, first match wins; the first is the one logins write.</param>
    public CredentialStore(IReadOnlyList<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0)
        {
            throw new ArgumentException("at least one auth file is needed", nameof(files));
        }
        _files = files;
    }

    /// <summary>
    /// The files podman and docker read: $REGISTRY_AUTH_FILE, else strata's own file under
    /// $XDG_CONFIG_HOME (or ~/.config), then ~/.docker/config.json.
    /// </summary>
    public static CredentialStore Default(string? authFile = null)
    {
        var home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var files = new List<string>();
        if (authFile is { Length: > 0 })
        {
            files.Add(authFile);
        }
        else if (Environment.GetEnvironmentVariable("REGISTRY_AUTH_FILE") is { Length: > 0 } env)
        {
            files.Add(env);
        }
        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(home, ".config");
        files.Add(Path.Combine(config, "strata", "auth.json"));
        files.Add(Path.Combine(home, ".docker", "config.json"));
        return new CredentialStore(files);
    }

    public string WriteFile => _files[0];

    public Credential? Find(string registry)
    {
        foreach (var file in _files)
        {
            if (ReadAuths(file) is not { } auths)
            {
                continue;
            }
            foreach (var key in KeysFor(registry))
            {
                if (auths[key] is JsonObject entry && Decode(entry) is { } credential)
                {
                    return credential;
                }
            }
        }
        return null;
    }

    public void Save(string registry, Credential credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var root = ReadRoot(WriteFile) ?? [];
        if (root["auths"] is not JsonObject auths)
        {
            auths = [];
            root["auths"] = auths;
        }
        auths[registry] = new JsonObject
        {
            ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")),
        };
        Persist(root);
    }

    /// <summary>Removes the registry's entry from the write file; false when there was none.</summary>
    public bool Remove(string registry)
    {
        var root = ReadRoot(WriteFile);
        if (root?["auths"] is not JsonObject auths || !auths.Remove(registry))
        {
            return false;
        }
        Persist(root);
        return true;
    }

    private void Persist(JsonObject root)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(WriteFile))!);
        AtomicFile.Write(WriteFile, Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
    }

    // Docker Hub's credentials are stored under its legacy index URL.
    private static IEnumerable<string> KeysFor(string registry)
    {
        yield return registry;
        yield return "https://" + registry;
        yield return "http://" + registry;
        if (registry == ImageName.DefaultRegistry)
        {
            yield return "https://index.docker.io/v1/";
            yield return "index.docker.io";
        }
    }

    private static Credential? Decode(JsonObject entry)
    {
        if (entry["auth"]?.GetValue<string>() is { Length: > 0 } auth)
        {
            string text;
            try
            {
                text = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
            }
            catch (FormatException)
            {
                return null;
            }
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 ? new Credential(text[..colon], text[(colon + 1)..]) : null;
        }
        if (entry["username"]?.GetValue<string>() is { } user && entry["password"]?.GetValue<string>() is { } password)
        {
            return new Credential(user, password);
        }
        return null;
    }

    private static JsonObject? ReadAuths(string file) => ReadRoot(file)?["auths"] as JsonObject;

    private static JsonObject? ReadRoot(string file)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(file)) as JsonObject;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return null;
        }
    }
}
