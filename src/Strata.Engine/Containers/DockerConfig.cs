using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strata.Engine.Containers;

// A container's configuration as the Docker Engine API's create request carries it (moby api/types/container
// config.go and hostconfig.go; swagger ContainerConfig and HostConfig). The engine keeps both whole, as dockerd
// keeps config.v2.json and hostconfig.json: the fields the engine acts on are typed, everything else is
// kept in Extra and given back by inspect unchanged.

/// <summary>docker's container.Config: what the container runs (the create request's top level).</summary>
public class CreateConfig
{
    public string? Hostname { get; set; }
    public string? Domainname { get; set; }
    public string? User { get; set; }
    public bool AttachStdin { get; set; }
    public bool AttachStdout { get; set; }
    public bool AttachStderr { get; set; }
    public Dictionary<string, JsonElement>? ExposedPorts { get; set; }
    public bool Tty { get; set; }
    public bool OpenStdin { get; set; }
    public bool StdinOnce { get; set; }
    public List<string>? Env { get; set; }
    public List<string>? Cmd { get; set; }
    public JsonElement? Healthcheck { get; set; }
    public bool? ArgsEscaped { get; set; }
    public string? Image { get; set; }
    public Dictionary<string, JsonElement>? Volumes { get; set; }
    public string? WorkingDir { get; set; }
    public List<string>? Entrypoint { get; set; }
    public bool? NetworkDisabled { get; set; }
    public string? MacAddress { get; set; }
    public List<string>? OnBuild { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public string? StopSignal { get; set; }
    public int? StopTimeout { get; set; }
    public List<string>? Shell { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>A copy with only the Config's own fields (a create request carries HostConfig beside them).</summary>
    public CreateConfig CopyConfig()
    {
        var json = JsonSerializer.Serialize(this, EngineJson.Default.CreateConfig);
        return JsonSerializer.Deserialize(json, EngineJson.Default.CreateConfig)!;
    }
}

/// <summary>POST /containers/create's body: the Config, with HostConfig and NetworkingConfig beside its fields.</summary>
public sealed class CreateRequest : CreateConfig
{
    public HostConfig? HostConfig { get; set; }
    public JsonElement? NetworkingConfig { get; set; }
}

/// <summary>docker's container.HostConfig: how the host runs it (resources, security, restart policy, mounts).</summary>
public sealed class HostConfig
{
    public List<string>? Binds { get; set; }
    public string? ContainerIDFile { get; set; }
    public LogConfig? LogConfig { get; set; }
    public string? NetworkMode { get; set; }
    public Dictionary<string, List<PortBinding>?>? PortBindings { get; set; }
    public RestartPolicy? RestartPolicy { get; set; }
    public bool AutoRemove { get; set; }
    public List<string>? VolumesFrom { get; set; }
    public List<string>? CapAdd { get; set; }
    public List<string>? CapDrop { get; set; }
    public List<string>? Dns { get; set; }
    public List<string>? DnsOptions { get; set; }
    public List<string>? DnsSearch { get; set; }
    public List<string>? ExtraHosts { get; set; }
    public List<string>? GroupAdd { get; set; }
    public string? IpcMode { get; set; }
    public string? PidMode { get; set; }
    public string? UTSMode { get; set; }
    public string? UsernsMode { get; set; }
    public int OomScoreAdj { get; set; }
    public bool Privileged { get; set; }
    public bool PublishAllPorts { get; set; }
    public bool ReadonlyRootfs { get; set; }
    public List<string>? SecurityOpt { get; set; }
    public Dictionary<string, string>? Tmpfs { get; set; }
    public long ShmSize { get; set; }
    public Dictionary<string, string>? Sysctls { get; set; }
    public string? Runtime { get; set; }

    /// <summary>API 1.56: the initial umask of the container's processes (decimal JSON: 18 is 0022); unset, the runtime's.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public uint? Umask { get; set; }

    public bool? Init { get; set; }
    public List<JsonElement>? Mounts { get; set; }
    public List<string>? MaskedPaths { get; set; }
    public List<string>? ReadonlyPaths { get; set; }

    // Resources (moby's container.Resources, inlined into HostConfig).
    public long CpuShares { get; set; }
    public long Memory { get; set; }
    public long NanoCpus { get; set; }
    public string? CgroupParent { get; set; }
    public long CpuPeriod { get; set; }
    public long CpuQuota { get; set; }
    public string? CpusetCpus { get; set; }
    public string? CpusetMems { get; set; }
    public List<DeviceMapping>? Devices { get; set; }
    public long MemoryReservation { get; set; }
    public long MemorySwap { get; set; }
    public long? MemorySwappiness { get; set; }
    public bool? OomKillDisable { get; set; }
    public long? PidsLimit { get; set; }
    public List<Ulimit>? Ulimits { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class LogConfig
{
    public string Type { get; set; } = "";
    public Dictionary<string, string>? Config { get; set; }
}

public sealed class PortBinding
{
    public string? HostIp { get; set; }
    public string? HostPort { get; set; }
}

/// <summary>no, always, unless-stopped, on-failure (with MaximumRetryCount); "" is no.</summary>
public sealed class RestartPolicy
{
    public string Name { get; set; } = "";
    public int MaximumRetryCount { get; set; }
}

public sealed class DeviceMapping
{
    public string PathOnHost { get; set; } = "";
    public string? PathInContainer { get; set; }
    public string? CgroupPermissions { get; set; }
}

public sealed class Ulimit
{
    public string Name { get; set; } = "";
    public long Soft { get; set; }
    public long Hard { get; set; }
}

/// <summary>
/// What the store keeps of a container beyond its columns: the create request's Config and HostConfig
/// whole, and the state docker reports (times, restarts, the monitor that watches it).
/// </summary>
public sealed class ContainerDetails
{
    public CreateConfig? Config { get; set; }
    public HostConfig? HostConfig { get; set; }
    /// <summary>The create request's NetworkingConfig (EndpointsConfig: aliases, IPAMConfig), for the network hook.</summary>
    public JsonElement? NetworkingConfig { get; set; }
    public string? ImageId { get; set; }
    public string? Platform { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public int RestartCount { get; set; }
    public bool OOMKilled { get; set; }
    public string? Error { get; set; }
    public int? MonitorPid { get; set; }
    public ulong? MonitorStartTime { get; set; }
    public bool ManuallyStopped { get; set; }

    /// <summary>A shallow copy: Config and HostConfig are replaced, never changed in place.</summary>
    public ContainerDetails Copy() => (ContainerDetails)MemberwiseClone();
}

/// <summary>The engine's JSON (source-generated, so the daemon stays trim- and AOT-safe).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(CreateConfig))]
[JsonSerializable(typeof(CreateRequest))]
[JsonSerializable(typeof(HostConfig))]
[JsonSerializable(typeof(ContainerDetails))]
[JsonSerializable(typeof(List<int>))]
public sealed partial class EngineJson : JsonSerializerContext;
