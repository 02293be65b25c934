using Strata.Oci.Runtime;

namespace Strata.Cgroups;

/// <summary>
/// One part of linux.resources: when a config asks for it, and the v1 and v2 controllers that can apply it
/// (null where that version has none). <see cref="All"/> lists them in the order they are applied.
/// </summary>
internal sealed record ResourceControllers(string Resource, Func<LinuxResources, bool> IsAsked, IController? V1, IController? V2)
{
    /// <summary>When neither controller is on the host, whether that is an error; by default it is.</summary>
    public Func<LinuxResources, bool>? IsRequired { get; init; }

    /// <summary>The error when neither controller is on the host, if not the usual "controller is needed".</summary>
    public string? MissingMessage { get; init; }

    /// <summary>The name a missing controller is reported by: the v2 one's where there is one, as current kernels name it.</summary>
    public string ControllerName => V2?.Name ?? V1?.Name ?? Resource;

    public static IReadOnlyList<ResourceControllers> All { get; } =
    [
        new("devices", r => r.Devices is not null, Cgroups.V1.DevicesController.Instance, Cgroups.V2.DevicesController.Instance)
        {
            // A list that restricts nothing needs no controller.
            IsRequired = r => r.Devices is { Count: > 0 },
        },
        new("memory", r => Cgroups.V1.MemoryController.IsNeeded(r.Memory), Cgroups.V1.MemoryController.Instance, Cgroups.V2.MemoryController.Instance),
        new("cpu", r => Cgroups.V1.CpuController.IsNeeded(r.Cpu), Cgroups.V1.CpuController.Instance, Cgroups.V2.CpuController.Instance),
        new("cpuset", r => Cgroups.V1.CpusetController.IsNeeded(r.Cpu), Cgroups.V1.CpusetController.Instance, Cgroups.V2.CpusetController.Instance),
        new("pids", r => r.Pids?.Limit is not null, PidsController.Instance, PidsController.Instance),
        new("blockIO", r => Cgroups.V1.BlkioController.IsNeeded(r.BlockIO), Cgroups.V1.BlkioController.Instance, Cgroups.V2.IoController.Instance),
        new("hugepageLimits", r => r.HugepageLimits is { Count: > 0 }, HugetlbController.ForV1, HugetlbController.ForV2),
        new("network.classID", r => r.Network?.ClassID is not null, Cgroups.V1.NetClsController.Instance, null),
        new("network.priorities", r => r.Network?.Priorities is { Count: > 0 }, Cgroups.V1.NetPrioController.Instance, null),
        new("rdma", r => r.Rdma is { Count: > 0 }, RdmaController.Instance, RdmaController.Instance),
        // Last, so the raw map can override anything above (config-linux.md, "Unified").
        new("unified", r => r.Unified is { Count: > 0 }, null, Cgroups.V2.UnifiedFiles.Instance)
        {
            MissingMessage = "linux.resources.unified needs a cgroup v2 hierarchy, and this host has none",
        },
    ];
}
