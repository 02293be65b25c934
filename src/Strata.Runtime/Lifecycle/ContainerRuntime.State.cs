using System.Globalization;
using Strata.Cgroups;
using Strata.Runtime.State;

namespace Strata.Runtime.Lifecycle;

public sealed partial class ContainerRuntime
{
    /// <summary>`state`: the OCI state of one container, with runc's extra fields.</summary>
    public ContainerView View(string id) => View(Store.Load(id));

    /// <summary>`list`: every container under the root; one whose state cannot be read is left out.</summary>
    public IReadOnlyList<ContainerView> List() =>
        Store.ListIds().Select(Store.TryLoad).OfType<ContainerRecord>().Select(View).ToList();

    /// <summary>`ps`: the container's processes, as the host sees them.</summary>
    public IReadOnlyList<int> Pids(string id) => PidsOf(Store.Load(id));

    private ContainerView View(ContainerRecord record)
    {
        var status = StatusOf(record);
        return new ContainerView
        {
            Id = record.Id,
            Pid = status == ContainerStatus.Stopped ? 0 : record.InitPid,
            Status = status,
            Bundle = record.Bundle,
            Rootfs = record.Rootfs,
            Created = record.Created.UtcDateTime,
            Annotations = record.Annotations,
            Owner = record.Owner,
        };
    }

    /// <summary>
    /// The container's processes: its cgroup's, or without one, every process in the init's pid namespace
    /// (only the init when it shares the host's).
    /// </summary>
    private List<int> PidsOf(ContainerRecord record)
    {
        if (OpenCgroup(record) is { } cgroup)
            return SafePids(cgroup);
        if (!IsAlive(record))
            return [];
        var pids = new List<int> { record.InitPid };
        var theirs = NamespaceOf(record.InitPid);
        if (!record.OwnPidNamespace || theirs is null)
            return pids;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != record.InitPid && NamespaceOf(pid) == theirs)
                pids.Add(pid);
        }
        pids.Sort();
        return pids;
    }

    private static string? NamespaceOf(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/ns/pid").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
