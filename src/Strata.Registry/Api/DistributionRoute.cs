using Strata.Oci.Distribution;
using Strata.Oci.Image;

namespace Strata.Registry.Api;

public enum RouteKind
{
    Base,
    Catalog,
    Tags,
    Manifest,
    Blob,
    UploadStart,
    Upload,
    Referrers,
}

/// <summary>
/// A parsed /v2/ path (distribution-spec "Endpoints" table). Repository names contain slashes, so the path
/// is split from its end: the last segments say what is addressed, and all before them is the name, which
/// is then checked against the name grammar before anything else sees it.
/// </summary>
public readonly record struct DistributionRoute(RouteKind Kind, string Name, string Reference)
{
    /// <summary>A stable label for metrics and logs.</summary>
    public string Label => Kind switch
    {
        RouteKind.Base => "base",
        RouteKind.Catalog => "catalog",
        RouteKind.Tags => "tags",
        RouteKind.Manifest => "manifest",
        RouteKind.Blob => "blob",
        RouteKind.UploadStart or RouteKind.Upload => "upload",
        RouteKind.Referrers => "referrers",
        _ => "other",
    };

    /// <summary>Parses the part of the path after "/v2/". Unknown shapes give null; a known shape with an
    /// invalid name throws NAME_INVALID.</summary>
    public static DistributionRoute? Parse(string rest)
    {
        if (rest.Length == 0)
        {
            return new DistributionRoute(RouteKind.Base, "", "");
        }
        if (rest == "_catalog")
        {
            return new DistributionRoute(RouteKind.Catalog, "", "");
        }
        if (rest.EndsWith("/tags/list", StringComparison.Ordinal))
        {
            return Make(RouteKind.Tags, rest[..^"/tags/list".Length], "");
        }
        const string uploads = "/blobs/uploads";
        if (rest.EndsWith(uploads, StringComparison.Ordinal) || rest.EndsWith(uploads + "/", StringComparison.Ordinal))
        {
            return Make(RouteKind.UploadStart, rest[..rest.LastIndexOf(uploads, StringComparison.Ordinal)], "");
        }
        var last = rest.LastIndexOf('/');
        if (last <= 0)
        {
            return null;
        }
        var reference = rest[(last + 1)..];
        var before = rest[..last];
        if (before.EndsWith(uploads, StringComparison.Ordinal))
        {
            return Make(RouteKind.Upload, before[..^uploads.Length], reference);
        }
        var kindSlash = before.LastIndexOf('/');
        if (kindSlash <= 0)
        {
            return null;
        }
        var kind = before[(kindSlash + 1)..] switch
        {
            "manifests" => RouteKind.Manifest,
            "blobs" => RouteKind.Blob,
            "referrers" => RouteKind.Referrers,
            _ => (RouteKind?)null,
        };
        return kind is { } k ? Make(k, before[..kindSlash], reference) : null;
    }

    private static DistributionRoute Make(RouteKind kind, string name, string reference) =>
        Strata.Oci.Image.Reference.IsValidRepository(name)
            ? new DistributionRoute(kind, name, reference)
            : throw new RegistryException(ErrorCode.NameInvalid, $"invalid repository name '{Truncate(name)}'");

    private static string Truncate(string s) => s.Length > 64 ? s[..64] + "..." : s;
}
