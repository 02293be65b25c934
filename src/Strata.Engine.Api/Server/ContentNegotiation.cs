using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Strata.Engine.Api.Server;

/// <summary>
/// moby picks a streamed response's media type with golang/gddo's httputil.NegotiateContentType, so the same
/// Accept header gets the same answer here: the offer with the highest q wins; an exact match beats
/// "type/*", which beats "*/*"; on a tie the earlier offer stays; q=0 never matches; no match is the default.
/// </summary>
public static class ContentNegotiation
{
    public static string Negotiate(HttpRequest request, IReadOnlyList<string> offers, string defaultOffer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(offers);
        var specs = new List<(string Value, double Q)>();
        foreach (var header in request.Headers.Accept)
        {
            if (header is not null && MediaTypeHeaderValue.TryParseList([header], out var parsed))
            {
                specs.AddRange(parsed.Select(p => (p.MediaType.Value ?? "", p.Quality ?? 1.0)));
            }
        }
        var best = defaultOffer;
        var bestQ = -1.0;
        var bestWild = 3;
        foreach (var offer in offers)
        {
            foreach (var (value, q) in specs)
            {
                if (q == 0.0 || q < bestQ)
                {
                    continue;
                }
                if (value == "*/*")
                {
                    if (q > bestQ || bestWild > 2)
                    {
                        (best, bestQ, bestWild) = (offer, q, 2);
                    }
                }
                else if (value.EndsWith("/*", StringComparison.Ordinal))
                {
                    if (offer.StartsWith(value[..^1], StringComparison.OrdinalIgnoreCase) && (q > bestQ || bestWild > 1))
                    {
                        (best, bestQ, bestWild) = (offer, q, 1);
                    }
                }
                else if (string.Equals(value, offer, StringComparison.OrdinalIgnoreCase) && (q > bestQ || bestWild > 0))
                {
                    (best, bestQ, bestWild) = (offer, q, 0);
                }
            }
        }
        return best;
    }
}
