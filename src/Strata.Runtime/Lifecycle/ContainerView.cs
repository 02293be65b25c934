using System.Text.Json.Serialization;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// What `state` and `list --format json` print: the OCI state plus runc's extra fields (rootfs, created,
/// owner), with the same names, so tools parsing runc's output parse Strata's.
/// </summary>
public sealed class ContainerView
{
    public string OciVersion { get; set; } = Oci.Runtime.SpecVersion.Current;
    public string Id { get; set; } = "";
    public int Pid { get; set; }
    public string Status { get; set; } = "";
    public string Bundle { get; set; } = "";
    public string Rootfs { get; set; } = "";
    public DateTime Created { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public string Owner { get; set; } = "";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(ContainerView))]
[JsonSerializable(typeof(List<ContainerView>))]
[JsonSerializable(typeof(List<int>))]
public sealed partial class ViewJsonContext : JsonSerializerContext;
