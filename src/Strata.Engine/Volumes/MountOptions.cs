using Strata.Linux;

namespace Strata.Engine.Volumes;

/// <summary>
/// mount(8)-style option text split into mount(2) flags and filesystem data, as moby/sys/mount's
/// parseOptions does for the local volume driver's "o" option: known flag names set or clear their flag,
/// everything else is passed to the filesystem as data.
/// </summary>
internal static class MountOptions
{
    private static readonly Dictionary<string, (bool Clear, MountFlags Flag)> Flags = new(StringComparer.Ordinal)
    {
        ["defaults"] = (false, MountFlags.None),
        ["ro"] = (false, MountFlags.ReadOnly),
        ["rw"] = (true, MountFlags.ReadOnly),
        ["suid"] = (true, MountFlags.NoSuid),
        ["nosuid"] = (false, MountFlags.NoSuid),
        ["dev"] = (true, MountFlags.NoDev),
        ["nodev"] = (false, MountFlags.NoDev),
        ["exec"] = (true, MountFlags.NoExec),
        ["noexec"] = (false, MountFlags.NoExec),
        ["sync"] = (false, MountFlags.Synchronous),
        ["async"] = (true, MountFlags.Synchronous),
        ["dirsync"] = (false, MountFlags.DirSync),
        ["remount"] = (false, MountFlags.Remount),
        ["mand"] = (false, MountFlags.MandatoryLock),
        ["nomand"] = (true, MountFlags.MandatoryLock),
        ["atime"] = (true, MountFlags.NoAtime),
        ["noatime"] = (false, MountFlags.NoAtime),
        ["diratime"] = (true, MountFlags.NoDirAtime),
        ["nodiratime"] = (false, MountFlags.NoDirAtime),
        ["bind"] = (false, MountFlags.Bind),
        ["rbind"] = (false, MountFlags.Bind | MountFlags.Recursive),
        ["unbindable"] = (false, MountFlags.Unbindable),
        ["runbindable"] = (false, MountFlags.Unbindable | MountFlags.Recursive),
        ["private"] = (false, MountFlags.Private),
        ["rprivate"] = (false, MountFlags.Private | MountFlags.Recursive),
        ["shared"] = (false, MountFlags.Shared),
        ["rshared"] = (false, MountFlags.Shared | MountFlags.Recursive),
        ["slave"] = (false, MountFlags.Slave),
        ["rslave"] = (false, MountFlags.Slave | MountFlags.Recursive),
        ["relatime"] = (false, MountFlags.RelAtime),
        ["norelatime"] = (true, MountFlags.RelAtime),
        ["strictatime"] = (false, MountFlags.StrictAtime),
        ["nostrictatime"] = (true, MountFlags.StrictAtime),
    };

    /// <summary>
    /// The collision key of a flag option for MergeTmpfsOptions: an option and its opposite share one (they
    /// name the same flag), and all propagation options share one; null for data options.
    /// </summary>
    public static string? FlagKey(string option)
    {
        if (!Flags.TryGetValue(option, out var f) || f.Flag == MountFlags.None)
        {
            return null;
        }
        return (f.Flag & MountFlags.PropagationMask) != 0 ? "propagation" : ((ulong)f.Flag).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The flags and the data of "o" text.</summary>
    public static (MountFlags Flags, string Data) Parse(string? options)
    {
        var flags = MountFlags.None;
        var data = new List<string>();
        foreach (var o in (options ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Flags.TryGetValue(o, out var f))
            {
                flags = f.Clear ? flags & ~f.Flag : flags | f.Flag;
            }
            else
            {
                data.Add(o);
            }
        }
        return (flags, string.Join(',', data));
    }
}
