namespace Strata.Oci.Distribution;

/// <summary>GET /v2/&lt;name&gt;/tags/list's body (distribution-spec "Listing Tags").</summary>
public sealed record TagList(string Name, List<string> Tags);

/// <summary>GET /v2/_catalog's body (distribution's "Listing Repositories").</summary>
public sealed record Catalog(List<string> Repositories);
