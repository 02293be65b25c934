using System.Text.Json.Serialization;

namespace Strata.Engine.Api.Types;

/// <summary>An error body: <c>{"message": "..."}</c> (the API's ErrorResponse).</summary>
public sealed record ErrorResponse([property: JsonPropertyName("message")] string Message);

/// <summary>GET /version: the API's SystemVersion.</summary>
public sealed record SystemVersion
{
    public required PlatformName Platform { get; init; }
    public required IReadOnlyList<ComponentVersion> Components { get; init; }
    public required string Version { get; init; }
    public required string ApiVersion { get; init; }
    public required string MinAPIVersion { get; init; }
    public required string GitCommit { get; init; }
    public required string GoVersion { get; init; }
    public required string Os { get; init; }
    public required string Arch { get; init; }
    public required string KernelVersion { get; init; }
    public required string BuildTime { get; init; }
}

public sealed record PlatformName(string Name);

/// <summary>A component of the server (Engine first); the CLI prints Details by key.</summary>
public sealed record ComponentVersion(string Name, string Version, IReadOnlyDictionary<string, string>? Details);

/// <summary>
/// GET /info: the API's SystemInfo, the fields the docker CLI (20.10 through 28) prints or dereferences.
/// Lists and objects are never null where the CLI iterates or dereferences them.
/// </summary>
public sealed record SystemInfo
{
    public required string ID { get; init; }
    public int Containers { get; init; }
    public int ContainersRunning { get; init; }
    public int ContainersPaused { get; init; }
    public int ContainersStopped { get; init; }
    public int Images { get; init; }
    public required string Driver { get; init; }
    public IReadOnlyList<string[]> DriverStatus { get; init; } = [];
    public PluginsInfo Plugins { get; init; } = new();
    public bool MemoryLimit { get; init; }
    public bool SwapLimit { get; init; }
    public bool CpuCfsPeriod { get; init; }
    public bool CpuCfsQuota { get; init; }
    public bool CPUShares { get; init; }
    public bool CPUSet { get; init; }
    public bool PidsLimit { get; init; }
    public bool OomKillDisable { get; init; }
    public bool IPv4Forwarding { get; init; }
    public bool Debug { get; init; }
    public int NFd { get; init; }
    public int NGoroutines { get; init; }
    public required string SystemTime { get; init; }
    public required string LoggingDriver { get; init; }
    public required string CgroupDriver { get; init; }
    public required string CgroupVersion { get; init; }
    public int NEventsListener { get; init; }
    public required string KernelVersion { get; init; }
    public required string OperatingSystem { get; init; }
    public required string OSVersion { get; init; }
    public required string OSType { get; init; }
    public required string Architecture { get; init; }
    public required string IndexServerAddress { get; init; }
    public RegistryServiceConfig RegistryConfig { get; init; } = new();
    public int NCPU { get; init; }
    public long MemTotal { get; init; }
    public IReadOnlyList<string> GenericResources { get; init; } = [];
    public required string DockerRootDir { get; init; }
    public string HttpProxy { get; init; } = "";
    public string HttpsProxy { get; init; } = "";
    public string NoProxy { get; init; } = "";
    public required string Name { get; init; }
    public IReadOnlyList<string> Labels { get; init; } = [];
    public bool ExperimentalBuild { get; init; }
    public required string ServerVersion { get; init; }
    public required IReadOnlyDictionary<string, RuntimeInfo> Runtimes { get; init; }
    public required string DefaultRuntime { get; init; }
    public SwarmInfo Swarm { get; init; } = new();
    public bool LiveRestoreEnabled { get; init; }
    public string Isolation { get; init; } = "";
    public string InitBinary { get; init; } = "";
    public CommitInfo ContainerdCommit { get; init; } = new();
    public CommitInfo RuncCommit { get; init; } = new();
    public CommitInfo InitCommit { get; init; } = new();
    public IReadOnlyList<string> SecurityOptions { get; init; } = [];
    public IReadOnlyList<string> CDISpecDirs { get; init; } = [];
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

public sealed record PluginsInfo
{
    public IReadOnlyList<string> Volume { get; init; } = [];
    public IReadOnlyList<string> Network { get; init; } = [];
    public IReadOnlyList<string> Authorization { get; init; } = [];
    public IReadOnlyList<string> Log { get; init; } = [];
}

public sealed record RegistryServiceConfig
{
    public IReadOnlyList<string> InsecureRegistryCIDRs { get; init; } = [];
    public IReadOnlyDictionary<string, IndexInfo> IndexConfigs { get; init; } = new Dictionary<string, IndexInfo>();
    public IReadOnlyList<string> Mirrors { get; init; } = [];
}

public sealed record IndexInfo(string Name, IReadOnlyList<string> Mirrors, bool Secure, bool Official);

/// <summary>A runtime the daemon can run containers with; lower-case keys, as the API has them.</summary>
public sealed record RuntimeInfo([property: JsonPropertyName("path")] string Path);

public sealed record SwarmInfo
{
    public string NodeID { get; init; } = "";
    public string NodeAddr { get; init; } = "";
    public string LocalNodeState { get; init; } = "inactive";
    public bool ControlAvailable { get; init; }
    public string Error { get; init; } = "";
}

public sealed record CommitInfo
{
    public string ID { get; init; } = "";
    public string Expected { get; init; } = "";
}
