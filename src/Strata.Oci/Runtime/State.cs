namespace Strata.Oci.Runtime;

/// <summary>The state of a container as the runtime-spec defines it (runtime.md, "State").</summary>
public sealed class State
{
    public string OciVersion { get; set; } = SpecVersion.Current;
    public string Id { get; set; } = "";
    public string Status { get; set; } = "";
    public int? Pid { get; set; }
    public string Bundle { get; set; } = "";
    public Dictionary<string, string>? Annotations { get; set; }
}

/// <summary>The runtime-spec lifecycle statuses (runtime.md): the only values <see cref="State.Status"/> takes.</summary>
public static class ContainerStatus
{
    public const string Creating = "creating";
    public const string Created = "created";
    public const string Running = "running";
    public const string Stopped = "stopped";
    // runc reports "paused" for a frozen container; the spec allows additional values.
    public const string Paused = "paused";
}

public static class SpecVersion
{
    public const string Current = "1.2.0";
}
