using System.Text.Json.Serialization;

namespace Strata.Runtime.State;

/// <summary>What the runtime persists about a container in ROOT/ID/state.json.</summary>
public sealed class ContainerRecord
{
    public string Id { get; set; } = "";
    public string Bundle { get; set; } = "";
    public string Rootfs { get; set; } = "";
    /// <summary>The container's init in the runtime's pid namespace; 0 until the init exists.</summary>
    public int InitPid { get; set; }
    /// <summary>Field 22 of /proc/PID/stat when the init started: a pid with another start time is another process.</summary>
    public ulong InitStartTime { get; set; }
    public DateTimeOffset Created { get; set; }
    public string Owner { get; set; } = "";
    public string CgroupsPath { get; set; } = "";
    public Dictionary<string, string> CgroupPaths { get; set; } = [];
    /// <summary>True when the container has its own pid namespace: killing its init kills everything.</summary>
    public bool OwnPidNamespace { get; set; }
    /// <summary>config.json's annotations, reported by state. The whole config is not kept: serializing it
    /// on every create costs more than the rest of the state together.</summary>
    public Dictionary<string, string>? Annotations { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(ContainerRecord))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
