using Strata.Linux;
using Strata.Oci.Runtime;

namespace Strata.Runtime.Config;

/// <summary>config.json's namespace type names (config-linux.md, "Namespaces") and their CLONE_NEW* flags.</summary>
public static class NamespaceNames
{
    private static readonly Dictionary<string, NamespaceFlags> Flags = new(StringComparer.Ordinal)
    {
        [NamespaceType.Pid] = NamespaceFlags.Pid,
        [NamespaceType.Network] = NamespaceFlags.Network,
        [NamespaceType.Mount] = NamespaceFlags.Mount,
        [NamespaceType.Ipc] = NamespaceFlags.Ipc,
        [NamespaceType.Uts] = NamespaceFlags.Uts,
        [NamespaceType.User] = NamespaceFlags.User,
        [NamespaceType.Cgroup] = NamespaceFlags.Cgroup,
        [NamespaceType.Time] = NamespaceFlags.Time,
    };

    /// <summary>
    /// The config.json names of <paramref name="flags"/>. A loop, not Where/Select: over key-value pairs those are
    /// generic virtual methods NativeAOT instantiates at run time, a tenth of `run`'s CPU in the parent.
    /// </summary>
    public static List<string> NamesOf(NamespaceFlags flags)
    {
        var names = new List<string>();
        foreach (var (name, flag) in Flags)
        {
            if ((flags & flag) != 0)
                names.Add(name);
        }
        return names;
    }

    /// <summary>The CLONE_NEW* flag of a namespace type named in config.json.</summary>
    public static NamespaceFlags FlagOf(string type) =>
        Flags.TryGetValue(type, out var flag) ? flag : throw new RuntimeException($"unknown namespace type {type}");
}
