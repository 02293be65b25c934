using System.Text.Json.Serialization;

namespace Strata.Engine.Volumes;

/// <summary>
/// The volume store's JSON columns (labels, options, a container's mount points) and HostConfig.Mounts
/// entries, source-generated; names are matched without regard to case, as Go's encoding/json does.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(MountPoint))]
[JsonSerializable(typeof(MountSpec))]
internal sealed partial class VolumeJson : JsonSerializerContext;
