using Strata.Oci.Runtime;

namespace Strata.Runtime.Config;

/// <summary>config.json's bind mounts, as both the parent (to check them) and the init (to mount them) read them.</summary>
public static class BindMounts
{
    /// <summary>
    /// Makes relative bind-mount sources absolute: they are relative to the bundle (config.md, "Mounts":
    /// source). Returns the bind mounts.
    /// </summary>
    public static List<Mount> ResolveSources(Spec spec, string bundle)
    {
        var binds = new List<Mount>();
        foreach (var mount in spec.Mounts ?? [])
        {
            var isBind = mount.Type == "bind" || (mount.Options?.Any(o => o is "bind" or "rbind") ?? false);
            if (!isBind || string.IsNullOrEmpty(mount.Source))
                continue;
            if (!Path.IsPathRooted(mount.Source))
                mount.Source = Path.GetFullPath(Path.Combine(bundle, mount.Source));
            binds.Add(mount);
        }
        return binds;
    }
}
