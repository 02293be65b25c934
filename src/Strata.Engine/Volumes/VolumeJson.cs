using System.Text.Json.Serialization;

namespace Strata.Engine.Volumes;

/// <summary>The volume store's JSON columns (labels, options, a container's mount points), source-generated.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(MountPoint))]
internal sealed partial class VolumeJson : JsonSerializerContext;
