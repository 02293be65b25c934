using System.Diagnostics.CodeAnalysis;
using Strata.Oci.Image;

namespace Strata.Images;

/// <summary>
/// An image reference as docker and podman read it (distribution/reference, "normalize.go"): an optional
/// registry host (a first component containing '.' or ':', or "localhost"), a repository, then ":tag"
/// and/or "@digest". Without a registry it is docker.io; a single-component name on docker.io gets
/// "library/"; without tag or digest the tag is "latest".
/// </summary>
public sealed record ImageName
{
    public const string DefaultRegistry = "docker.io";
    public const string DefaultTag = "latest";

    private ImageName(string registry, string repository, string? tag, Digest? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The registry as the user names it: "docker.io", "localhost:5000".</summary>
    public string Registry { get; }

    /// <summary>The repository path inside the registry: "library/busybox".</summary>
    public string Repository { get; }

    public string? Tag { get; }
    public Digest? Digest { get; }

    /// <summary>The host the distribution API is served from (Docker Hub serves docker.io from registry-1).</summary>
    public string ApiHost => Registry == DefaultRegistry ? "registry-1.docker.io" : Registry;

    /// <summary>The tag or digest a manifest request names.</summary>
    public string ManifestReference => Digest?.ToString() ?? Tag ?? DefaultTag;

    /// <summary>"registry/repository", the key tags of one repository share.</summary>
    public string FullRepository => $"{Registry}/{Repository}";

    public static ImageName Parse(string reference) =>
        TryParse(reference, out var name, out var error) ? name : throw new FormatException(error);

    public static bool TryParse(string? reference, [NotNullWhen(true)] out ImageName? name, out string error)
    {
        name = null;
        if (string.IsNullOrWhiteSpace(reference))
        {
            error = "image reference is empty";
            return false;
        }
        var rest = reference;
        Digest? digest = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (!Oci.Image.Digest.TryParse(rest[(at + 1)..], out var d, out var digestError))
            {
                error = $"invalid reference '{reference}': {digestError}";
                return false;
            }
            digest = d;
            rest = rest[..at];
        }
        string? tag = null;
        var lastColon = rest.LastIndexOf(':');
        if (lastColon > rest.LastIndexOf('/'))
        {
            tag = rest[(lastColon + 1)..];
            rest = rest[..lastColon];
            if (!Reference.IsValidTag(tag))
            {
                error = $"invalid reference '{reference}': tag '{tag}' must match [a-zA-Z0-9_][a-zA-Z0-9._-]{{0,127}}";
                return false;
            }
        }
        var registry = DefaultRegistry;
        var repository = rest;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            var first = rest[..slash];
            if (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost")
            {
                registry = first;
                repository = rest[(slash + 1)..];
                if (!IsValidHost(registry))
                {
                    error = $"invalid reference '{reference}': registry '{registry}' is not a host[:port]";
                    return false;
                }
            }
        }
        if (registry == "index.docker.io")
        {
            registry = DefaultRegistry;
        }
        if (registry == DefaultRegistry && !repository.Contains('/', StringComparison.Ordinal))
        {
            repository = "library/" + repository;
        }
        if (repository.Any(char.IsUpper))
        {
            error = $"invalid reference '{reference}': repository name must be lowercase";
            return false;
        }
        if (!Reference.IsValidRepository(repository))
        {
            error = $"invalid reference '{reference}': '{repository}' is not a valid repository name";
            return false;
        }
        if (tag is null && digest is null)
        {
            tag = DefaultTag;
        }
        name = new ImageName(registry, repository, tag, digest);
        error = "";
        return true;
    }

    /// <summary>The same repository with another tag (no digest).</summary>
    public ImageName WithTag(string tag) =>
        Reference.IsValidTag(tag) ? new ImageName(Registry, Repository, tag, null) : throw new FormatException($"invalid tag '{tag}'");

    /// <summary>The same repository at a digest (no tag).</summary>
    public ImageName WithDigest(Digest digest) => new(Registry, Repository, null, digest);

    /// <summary>The canonical form: "docker.io/library/busybox:latest", "host:5000/a/b@sha256:…".</summary>
    public override string ToString() =>
        FullRepository + (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");

    /// <summary>The short form docker prints: no "docker.io/" and no "library/".</summary>
    public string FamiliarRepository =>
        Registry != DefaultRegistry ? FullRepository
        : Repository.StartsWith("library/", StringComparison.Ordinal) ? Repository["library/".Length..]
        : Repository;

    private static bool IsValidHost(string host)
    {
        var colon = host.LastIndexOf(':');
        var hostname = colon >= 0 ? host[..colon] : host;
        if (colon >= 0 && !(int.TryParse(host[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536))
        {
            return false;
        }
        if (hostname.StartsWith('[') && hostname.EndsWith(']'))
        {
            return true;
        }
        return hostname.Length > 0 && hostname.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
    }
}
