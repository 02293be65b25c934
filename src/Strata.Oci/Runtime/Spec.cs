using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strata.Oci.Runtime;

// The OCI runtime-spec config.json (runtime-spec v1.2, config.md and config-linux.md).
// Type and property names follow the spec's Go types (specs-go/config.go) so the two read side by side.
// Unknown properties are kept in ExtensionData: a runtime must ignore what it does not know, but a
// document rewritten by Strata (spec, update) must not lose them.

public sealed class Spec
{
    public string? OciVersion { get; set; }
    public Process? Process { get; set; }
    public Root? Root { get; set; }
    public string? Hostname { get; set; }
    public string? Domainname { get; set; }
    public List<Mount>? Mounts { get; set; }
    public Hooks? Hooks { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public Linux? Linux { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}

public sealed class Process
{
    public bool Terminal { get; set; }
    public Box? ConsoleSize { get; set; }
    public User User { get; set; } = new();
    public List<string>? Args { get; set; }
    public string? CommandLine { get; set; }
    public List<string>? Env { get; set; }
    public string Cwd { get; set; } = "/";
    public LinuxCapabilities? Capabilities { get; set; }
    public List<PosixRlimit>? Rlimits { get; set; }
    public bool NoNewPrivileges { get; set; }
    public string? ApparmorProfile { get; set; }
    public int? OomScoreAdj { get; set; }
    public string? SelinuxLabel { get; set; }
    public LinuxIOPriority? IoPriority { get; set; }
    public LinuxScheduler? Scheduler { get; set; }
    public CpuAffinity? ExecCPUAffinity { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}

public sealed class Box
{
    public uint Height { get; set; }
    public uint Width { get; set; }
}

public sealed class User
{
    public uint Uid { get; set; }
    public uint Gid { get; set; }
    public uint? Umask { get; set; }
    public List<uint>? AdditionalGids { get; set; }
    public string? Username { get; set; }
}

public sealed class LinuxCapabilities
{
    public List<string>? Bounding { get; set; }
    public List<string>? Effective { get; set; }
    public List<string>? Inheritable { get; set; }
    public List<string>? Permitted { get; set; }
    public List<string>? Ambient { get; set; }
}

public sealed class PosixRlimit
{
    public string Type { get; set; } = "";
    public ulong Hard { get; set; }
    public ulong Soft { get; set; }
}

public sealed class LinuxIOPriority
{
    public string Class { get; set; } = "";
    public int Priority { get; set; }
}

public sealed class LinuxScheduler
{
    public string Policy { get; set; } = "";
    public int Nice { get; set; }
    public int Priority { get; set; }
    public List<string>? Flags { get; set; }
    public ulong Runtime { get; set; }
    public ulong Deadline { get; set; }
    public ulong Period { get; set; }
}

public sealed class CpuAffinity
{
    public string? Initial { get; set; }
    public string? Final { get; set; }
}

public sealed class Root
{
    public string Path { get; set; } = "";
    public bool Readonly { get; set; }
}

public sealed class Mount
{
    public string Destination { get; set; } = "";
    public string? Type { get; set; }
    public string? Source { get; set; }
    public List<string>? Options { get; set; }
    public List<LinuxIdMapping>? UidMappings { get; set; }
    public List<LinuxIdMapping>? GidMappings { get; set; }
}

public sealed class Hooks
{
    public List<Hook>? Prestart { get; set; }
    public List<Hook>? CreateRuntime { get; set; }
    public List<Hook>? CreateContainer { get; set; }
    public List<Hook>? StartContainer { get; set; }
    public List<Hook>? Poststart { get; set; }
    public List<Hook>? Poststop { get; set; }
}

public sealed class Hook
{
    public string Path { get; set; } = "";
    public List<string>? Args { get; set; }
    public List<string>? Env { get; set; }
    public int? Timeout { get; set; }
}

public sealed class Linux
{
    public List<LinuxIdMapping>? UidMappings { get; set; }
    public List<LinuxIdMapping>? GidMappings { get; set; }
    public Dictionary<string, string>? Sysctl { get; set; }
    public LinuxResources? Resources { get; set; }
    public string? CgroupsPath { get; set; }
    public List<LinuxNamespace>? Namespaces { get; set; }
    public List<LinuxDevice>? Devices { get; set; }
    public LinuxSeccomp? Seccomp { get; set; }
    public string? RootfsPropagation { get; set; }
    public List<string>? MaskedPaths { get; set; }
    public List<string>? ReadonlyPaths { get; set; }
    public string? MountLabel { get; set; }
    public LinuxPersonality? Personality { get; set; }
    public Dictionary<string, LinuxTimeOffset>? TimeOffsets { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}

public sealed class LinuxIdMapping
{
    public uint ContainerID { get; set; }
    public uint HostID { get; set; }
    public uint Size { get; set; }
}

public sealed class LinuxTimeOffset
{
    public long Secs { get; set; }
    public uint Nanosecs { get; set; }
}

public sealed class LinuxPersonality
{
    public string Domain { get; set; } = "";
    public List<string>? Flags { get; set; }
}

public sealed class LinuxNamespace
{
    public string Type { get; set; } = "";
    public string? Path { get; set; }
}

public sealed class LinuxDevice
{
    public string Path { get; set; } = "";
    public string Type { get; set; } = "";
    public long Major { get; set; }
    public long Minor { get; set; }
    public uint? FileMode { get; set; }
    public uint? Uid { get; set; }
    public uint? Gid { get; set; }
}

public sealed class LinuxResources
{
    public List<LinuxDeviceCgroup>? Devices { get; set; }
    public LinuxMemory? Memory { get; set; }
    public LinuxCpu? Cpu { get; set; }
    public LinuxPids? Pids { get; set; }
    public LinuxBlockIO? BlockIO { get; set; }
    public List<LinuxHugepageLimit>? HugepageLimits { get; set; }
    public LinuxNetwork? Network { get; set; }
    public Dictionary<string, LinuxRdma>? Rdma { get; set; }
    public Dictionary<string, string>? Unified { get; set; }
}

public sealed class LinuxDeviceCgroup
{
    public bool Allow { get; set; }
    public string? Type { get; set; }
    public long? Major { get; set; }
    public long? Minor { get; set; }
    public string? Access { get; set; }
}

public sealed class LinuxMemory
{
    public long? Limit { get; set; }
    public long? Reservation { get; set; }
    public long? Swap { get; set; }
    public long? Kernel { get; set; }
    public long? KernelTCP { get; set; }
    public ulong? Swappiness { get; set; }
    public bool? DisableOOMKiller { get; set; }
    public bool? UseHierarchy { get; set; }
    public bool? CheckBeforeUpdate { get; set; }
}

public sealed class LinuxCpu
{
    public ulong? Shares { get; set; }
    public long? Quota { get; set; }
    public ulong? Burst { get; set; }
    public ulong? Period { get; set; }
    public long? RealtimeRuntime { get; set; }
    public ulong? RealtimePeriod { get; set; }
    public string? Cpus { get; set; }
    public string? Mems { get; set; }
    public long? Idle { get; set; }
}

public sealed class LinuxPids
{
    public long? Limit { get; set; }
}

public sealed class LinuxBlockIO
{
    public ushort? Weight { get; set; }
    public ushort? LeafWeight { get; set; }
    public List<LinuxWeightDevice>? WeightDevice { get; set; }
    public List<LinuxThrottleDevice>? ThrottleReadBpsDevice { get; set; }
    public List<LinuxThrottleDevice>? ThrottleWriteBpsDevice { get; set; }
    public List<LinuxThrottleDevice>? ThrottleReadIOPSDevice { get; set; }
    public List<LinuxThrottleDevice>? ThrottleWriteIOPSDevice { get; set; }
}

public sealed class LinuxWeightDevice
{
    public long Major { get; set; }
    public long Minor { get; set; }
    public ushort? Weight { get; set; }
    public ushort? LeafWeight { get; set; }
}

public sealed class LinuxThrottleDevice
{
    public long Major { get; set; }
    public long Minor { get; set; }
    public ulong Rate { get; set; }
}

public sealed class LinuxHugepageLimit
{
    public string PageSize { get; set; } = "";
    public ulong Limit { get; set; }
}

public sealed class LinuxNetwork
{
    public uint? ClassID { get; set; }
    public List<LinuxInterfacePriority>? Priorities { get; set; }
}

public sealed class LinuxInterfacePriority
{
    public string Name { get; set; } = "";
    public uint Priority { get; set; }
}

public sealed class LinuxRdma
{
    public uint? HcaHandles { get; set; }
    public uint? HcaObjects { get; set; }
}

public sealed class LinuxSeccomp
{
    public string DefaultAction { get; set; } = "";
    public uint? DefaultErrnoRet { get; set; }
    public List<string>? Architectures { get; set; }
    public List<string>? Flags { get; set; }
    public string? ListenerPath { get; set; }
    public string? ListenerMetadata { get; set; }
    public List<LinuxSyscall>? Syscalls { get; set; }
}

public sealed class LinuxSyscall
{
    public List<string> Names { get; set; } = [];
    public string Action { get; set; } = "";
    public uint? ErrnoRet { get; set; }
    public List<LinuxSeccompArg>? Args { get; set; }
}

public sealed class LinuxSeccompArg
{
    public uint Index { get; set; }
    public ulong Value { get; set; }
    public ulong ValueTwo { get; set; }
    public string Op { get; set; } = "";
}
