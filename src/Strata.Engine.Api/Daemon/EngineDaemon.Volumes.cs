using System.Globalization;
using System.Text.RegularExpressions;
using Strata.Engine.Api.Router.Volume;
using Strata.Engine.Api.Types;
using Strata.Engine.Containers;
using Strata.Engine.Volumes;

namespace Strata.Engine.Api.Daemon;

/// <summary>The volume routes' backend, over the engine's <see cref="VolumeService"/> (which serializes its own calls).</summary>
public sealed partial class EngineDaemon : IVolumeBackend
{
    public VolumeInfo CreateVolume(VolumeCreateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ToInfo(Volumes.Create(request.Name, request.Driver, request.DriverOpts, request.Labels));
    }

    public VolumeInfo GetVolume(string name) => ToInfo(Volumes.Get(name));

    public IReadOnlyList<VolumeInfo> ListVolumes(VolumeListOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Volumes.List()
            .Where(u => options.Dangling is not { } dangling || u.Dangling == dangling)
            .Where(u => options.Drivers.Count == 0 || options.Drivers.Contains(u.Volume.Driver, StringComparer.Ordinal))
            .Where(u => options.Names.Count == 0 || options.Names.Any(n => NameMatches(n, u.Volume.Name)))
            .Where(u => options.Labels.All(l => LabelFilter.Matches(u.Volume.Labels, l)))
            .Select(u => ToInfo(u.Volume))
            .ToList();
    }

    public void RemoveVolume(string name, bool force) => Volumes.Remove(name, force);

    public VolumePruneResponse PruneVolumes(bool all, IReadOnlyList<string> labels, IReadOnlyList<string> labelsNot)
    {
        var report = Volumes.Prune(all, labels, labelsNot);
        Events.Publish(Strata.Engine.Events.EventType.Volume, "prune", "", new Dictionary<string, string>
        {
            ["reclaimed"] = report.SpaceReclaimed.ToString(CultureInfo.InvariantCulture),
        });
        return new VolumePruneResponse(report.Deleted, report.SpaceReclaimed);
    }

    /// <summary>A container inspect's Mounts, in the order they were asked for: mount points only, not HostConfig.Tmpfs entries (as dockerd).</summary>
    public IReadOnlyList<Types.MountPoint> ContainerMounts(string containerId) =>
        Volumes.MountsOf(containerId)
            .Where(p => !p.FromTmpfsOption)
            .Select(p => new Types.MountPoint(
                p.Type,
                p.Type == MountTypes.Volume ? p.Name : null,
                p.Source,
                p.Destination,
                p.Type == MountTypes.Volume ? p.Driver : null,
                p.Mode,
                p.RW,
                p.Propagation))
            .ToList();

    partial void FillMounts(EngineContainer container, List<Types.MountPoint> mounts) => mounts.AddRange(ContainerMounts(container.Id));

    private static VolumeInfo ToInfo(Volume v) => new()
    {
        Name = v.Name,
        Driver = v.Driver,
        Mountpoint = v.Mountpoint,
        CreatedAt = v.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        Labels = v.Labels,
        Scope = Volume.Scope,
        Options = v.Options.Count == 0 ? null : v.Options,
    };

    /// <summary>docker's name filter: a regular expression found anywhere in the name.</summary>
    private static bool NameMatches(string pattern, string name)
    {
        try
        {
            return Regex.IsMatch(name, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
