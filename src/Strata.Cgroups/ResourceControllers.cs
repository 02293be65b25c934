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
        new("devices", r => r.Devices is not null, new Cgroups.V1.DevicesController(), new Cgroups.V2.DevicesController())
        {
            // A list that restricts nothing needs no controller.
            IsRequired = r => r.Devices is { Count: > 0 },
        },
        new("memory", r => Cgroups.V1.MemoryController.IsNeeded(r.Memory), new Cgroups.V1.MemoryController(), new Cgroups.V2.MemoryController()),
        new("cpu", r => Cgroups.V1.CpuController.IsNeeded(r.Cpu), new Cgroups.V1.CpuController(), new Cgroups.V2.CpuController()),
        new("cpuset", r => Cgroups.V1.CpusetController.IsNeeded(r.Cpu), new Cgroups.V1.CpusetController(), new Cgroups.V2.CpusetController()),
        new("pids", r => r.Pids?.Limit is not null, new PidsController(), new PidsController()),
        new("blockIO", r => Cgroups.V1.BlkioController.IsNeeded(r.BlockIO), new Cgroups.V1.BlkioController(), new Cgroups.V2.IoController()),
        new("hugepageLimits", r => r.HugepageLimits is { Count: > 0 }, new HugetlbController(unified: false), new HugetlbController(unified: true)),
        new("network.classID", r => r.Network?.ClassID is not null, new Cgroups.V1.NetClsController(), null),
        new("network.priorities", r => r.Network?.Priorities is { Count: > 0 }, new Cgroups.V1.NetPrioController(), null),
        new("rdma", r => r.Rdma is { Count: > 0 }, new RdmaController(), new RdmaController()),
        // Last, so the raw map can override anything above (config-linux.md, "Unified").
        new("unified", r => r.Unified is { Count: > 0 }, null, new Cgroups.V2.UnifiedFiles())
        {
            MissingMessage = "linux.resources.unified needs a cgroup v2 hierarchy, and this host has none",
        },
    ];
}
