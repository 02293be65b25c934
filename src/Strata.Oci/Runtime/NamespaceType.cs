namespace Strata.Oci.Runtime;

/// <summary>The namespace type names of config-linux.md, "Namespaces".</summary>
public static class NamespaceType
{
    public const string Pid = "pid";
    public const string Network = "network";
    public const string Mount = "mount";
    public const string Ipc = "ipc";
    public const string Uts = "uts";
    public const string User = "user";
    public const string Cgroup = "cgroup";
    public const string Time = "time";

    public static readonly IReadOnlyList<string> All = [Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time];

    public static bool IsKnown(string type) => All.Contains(type, StringComparer.Ordinal);
}
