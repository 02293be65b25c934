using Strata.Oci.Distribution;

namespace Strata.Registry.Api;

/// <summary>A protocol failure a handler reports; the router writes it as the spec's JSON error body.</summary>
public sealed class RegistryException(ErrorCode code, string? detail = null, int? status = null)
    : Exception(detail is null ? code.Message : $"{code.Message}: {detail}")
{
    public ErrorCode Code { get; } = code;
    public string? Detail { get; } = detail;

    /// <summary>The HTTP status: the code's own unless the spec asks for another (416 for an out-of-order chunk).</summary>
    public int Status { get; } = status ?? code.Status;
}
