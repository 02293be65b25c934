using Strata.Linux;

namespace Strata.Runtime.Init;

/// <summary>
/// config.json mount options split the way mount(8) and runc do: flags for mount(2), propagation changes
/// applied by separate calls, and everything else passed to the filesystem as its data string.
/// </summary>
public sealed record MountOptions(MountFlags Flags, IReadOnlyList<MountFlags> Propagation, string Data)
{
    public bool IsBind => Flags.HasFlag(MountFlags.Bind);

    private static readonly Dictionary<string, (bool Clear, MountFlags Flag)> FlagOptions = new(StringComparer.Ordinal)
    {
        ["async"] = (true, MountFlags.Synchronous),
        ["atime"] = (true, MountFlags.NoAtime),
        ["bind"] = (false, MountFlags.Bind),
        ["defaults"] = (false, MountFlags.None),
        ["dev"] = (true, MountFlags.NoDev),
        ["diratime"] = (true, MountFlags.NoDirAtime),
        ["dirsync"] = (false, MountFlags.DirSync),
        ["exec"] = (true, MountFlags.NoExec),
        ["lazytime"] = (false, MountFlags.LazyTime),
        ["loud"] = (true, MountFlags.Silent),
        ["mand"] = (false, MountFlags.MandatoryLock),
        ["noatime"] = (false, MountFlags.NoAtime),
        ["nodev"] = (false, MountFlags.NoDev),
        ["nodiratime"] = (false, MountFlags.NoDirAtime),
        ["noexec"] = (false, MountFlags.NoExec),
        ["nolazytime"] = (true, MountFlags.LazyTime),
        ["nomand"] = (true, MountFlags.MandatoryLock),
        ["norelatime"] = (true, MountFlags.RelAtime),
        ["nostrictatime"] = (true, MountFlags.StrictAtime),
        ["nosuid"] = (false, MountFlags.NoSuid),
        ["nosymfollow"] = (false, MountFlags.NoSymFollow),
        ["rbind"] = (false, MountFlags.Bind | MountFlags.Recursive),
        ["relatime"] = (false, MountFlags.RelAtime),
        ["remount"] = (false, MountFlags.Remount),
        ["ro"] = (false, MountFlags.ReadOnly),
        ["rw"] = (true, MountFlags.ReadOnly),
        ["silent"] = (false, MountFlags.Silent),
        ["strictatime"] = (false, MountFlags.StrictAtime),
        ["suid"] = (true, MountFlags.NoSuid),
        ["sync"] = (false, MountFlags.Synchronous),
    };

    private static readonly Dictionary<string, MountFlags> PropagationOptions = new(StringComparer.Ordinal)
    {
        ["private"] = MountFlags.Private,
        ["rprivate"] = MountFlags.Private | MountFlags.Recursive,
        ["shared"] = MountFlags.Shared,
        ["rshared"] = MountFlags.Shared | MountFlags.Recursive,
        ["slave"] = MountFlags.Slave,
        ["rslave"] = MountFlags.Slave | MountFlags.Recursive,
        ["unbindable"] = MountFlags.Unbindable,
        ["runbindable"] = MountFlags.Unbindable | MountFlags.Recursive,
    };

    public static MountOptions Parse(IEnumerable<string>? options)
    {
        var flags = MountFlags.None;
        var propagation = new List<MountFlags>();
        var data = new List<string>();
        foreach (var option in options ?? [])
        {
            if (FlagOptions.TryGetValue(option, out var f))
            {
                flags = f.Clear ? flags & ~f.Flag : flags | f.Flag;
            }
            else if (PropagationOptions.TryGetValue(option, out var p))
            {
                propagation.Add(p);
            }
            else if (option.StartsWith("x-", StringComparison.OrdinalIgnoreCase) || option == "tmpcopyup")
            {
                // userspace-only options (mount(8) "x-*") and crun/podman extensions: never passed to the kernel.
            }
            else
            {
                data.Add(option);
            }
        }
        return new MountOptions(flags, propagation, string.Join(',', data));
    }

    /// <summary>The propagation for "/" named by linux.rootfsPropagation; runc's default is rslave.</summary>
    public static MountFlags RootPropagation(string? name) =>
        string.IsNullOrEmpty(name) ? MountFlags.Slave | MountFlags.Recursive : PropagationOptions[name];
}
