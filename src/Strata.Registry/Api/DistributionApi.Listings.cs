using Microsoft.AspNetCore.Http;
using Strata.Oci.Distribution;
using Strata.Oci.Image;
using Strata.Registry.Storage;

namespace Strata.Registry.Api;

public sealed partial class DistributionApi
{
    /// <summary>GET /v2/&lt;name&gt;/tags/list with n and last (distribution-spec "Listing Tags").</summary>
    private Task ListTagsAsync(HttpContext context, DistributionRoute route)
    {
        if (!manifests.RepositoryExists(route.Name))
        {
            throw new RegistryException(ErrorCode.NameUnknown, route.Name);
        }
        var page = Paginate(context, manifests.ListTags(route.Name), DistributionPaths.Tags(route.Name));
        return WriteJsonAsync(context, StatusCodes.Status200OK, new TagList(route.Name, page), DistributionJsonContext.Default.TagList);
    }

    /// <summary>GET /v2/_catalog with n and last (distribution "Listing Repositories"; not part of the OCI
    /// spec, but clients and tools rely on it).</summary>
    private Task ListCatalogAsync(HttpContext context)
    {
        var page = Paginate(context, manifests.ListRepositories(), DistributionPaths.Catalog);
        return WriteJsonAsync(context, StatusCodes.Status200OK, new Catalog(page), DistributionJsonContext.Default.Catalog);
    }

    /// <summary>
    /// GET /v2/&lt;name&gt;/referrers/&lt;digest&gt; (distribution-spec "Listing Referrers"): an image index of
    /// the manifests whose subject is the digest, even when there are none or the subject is unknown, filtered
    /// by artifactType when asked, which the OCI-Filters-Applied header then says.
    /// </summary>
    private async Task ListReferrersAsync(HttpContext context, DistributionRoute route)
    {
        var subject = ParseDigest(route.Reference);
        var filter = context.Request.Query["artifactType"].ToString();
        var descriptors = new List<Descriptor>();
        foreach (var digest in manifests.ListReferrers(route.Name, subject))
        {
            var stored = await manifests.GetAsync(route.Name, digest, context.RequestAborted).ConfigureAwait(false);
            if (stored is null || !ManifestDocument.TryParse(stored.Content, stored.MediaType, out var document, out _))
            {
                continue;
            }
            var artifactType = document.EffectiveArtifactType;
            if (filter.Length > 0 && artifactType != filter)
            {
                continue;
            }
            descriptors.Add(new Descriptor
            {
                MediaType = stored.MediaType, Digest = digest, Size = stored.Content.Length,
                ArtifactType = artifactType, Annotations = document.Annotations,
            });
        }
        if (filter.Length > 0)
        {
            context.Response.Headers[DistributionHeaders.FiltersApplied] = "artifactType";
        }
        var index = new ImageIndex { MediaType = MediaTypes.OciIndex, Manifests = descriptors };
        await WriteJsonAsync(context, StatusCodes.Status200OK, index, RegistryJsonContext.Default.ImageIndex, MediaTypes.OciIndex).ConfigureAwait(false);
    }

    /// <summary>
    /// Entries after "last", at most n of them (capped at <see cref="RegistryOptions.MaxPageSize"/>); when more
    /// remain, a Link header with rel="next" names the next page (RFC 8288).
    /// </summary>
    private List<string> Paginate(HttpContext context, IReadOnlyList<string> sorted, string path)
    {
        var query = context.Request.Query;
        var limit = options.MaxPageSize;
        if (query["n"].ToString() is { Length: > 0 } n)
        {
            limit = ParseLong(n) is { } value and <= int.MaxValue
                ? (int)Math.Min(value, options.MaxPageSize)
                : throw new RegistryException(ErrorCode.PaginationNumberInvalid, $"n must be a non-negative integer, not '{n}'");
        }
        var last = query["last"].ToString();
        var start = 0;
        if (last.Length > 0)
        {
            while (start < sorted.Count && string.CompareOrdinal(sorted[start], last) <= 0)
            {
                start++;
            }
        }
        var page = sorted.Skip(start).Take(limit).ToList();
        if (page.Count > 0 && start + page.Count < sorted.Count)
        {
            context.Response.Headers.Link = $"<{path}?n={limit}&last={Uri.EscapeDataString(page[^1])}>; rel=\"next\"";
        }
        return page;
    }
}
