using Strata.Oci.Runtime;

namespace Strata.Runtime;

/// <summary>The config.json `spec` writes: the same defaults as `runc spec`, so bundles move between the two.</summary>
public static class DefaultSpec
{
    /// <summary>
    /// The capability set container engines give a container by default (moby oci/caps/defaults.go), which
    /// images are written to expect; `runc spec` itself grants only three.
    /// </summary>
    public static readonly IReadOnlyList<string> EngineCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    public static Spec Create(bool rootless)
    {
        List<string> caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
        var spec = new Spec
        {
            OciVersion = SpecVersion.Current,
            Process = new Process
            {
                Terminal = true,
                User = new User { Uid = 0, Gid = 0 },
                Args = ["sh"],
                Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
                Cwd = "/",
                Capabilities = new LinuxCapabilities { Bounding = [.. caps], Effective = [.. caps], Permitted = [.. caps], Ambient = [.. caps] },
                Rlimits = [new PosixRlimit { Type = "RLIMIT_NOFILE", Hard = 1024, Soft = 1024 }],
                NoNewPrivileges = true,
            },
            Root = new Root { Path = "rootfs", Readonly = true },
            Hostname = "strata",
            Mounts =
            [
                new() { Destination = "/proc", Type = "proc", Source = "proc" },
                new() { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "strictatime", "mode=755", "size=65536k"] },
                new() { Destination = "/dev/pts", Type = "devpts", Source = "devpts", Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
                new() { Destination = "/dev/shm", Type = "tmpfs", Source = "shm", Options = ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
                new() { Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue", Options = ["nosuid", "noexec", "nodev"] },
                new() { Destination = "/sys", Type = "sysfs", Source = "sysfs", Options = ["nosuid", "noexec", "nodev", "ro"] },
                new() { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup", Options = ["nosuid", "noexec", "nodev", "relatime", "ro"] },
            ],
            Linux = new Oci.Runtime.Linux
            {
                Resources = new LinuxResources { Devices = [new LinuxDeviceCgroup { Allow = false, Access = "rwm" }] },
                Namespaces = [new() { Type = "pid" }, new() { Type = "network" }, new() { Type = "ipc" }, new() { Type = "uts" }, new() { Type = "mount" }, new() { Type = "cgroup" }],
                MaskedPaths = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
                ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
            },
        };
        if (rootless)
        {
            // As runc spec --rootless: a user namespace mapping the caller, no cgroup or network namespace
            // to set up, sysfs bind-mounted because a fresh sysfs needs a network namespace the user owns.
            var uid = Strata.Linux.Sys.EffectiveUserId;
            spec.Linux.Resources = null;
            spec.Linux.Namespaces = [new() { Type = "pid" }, new() { Type = "ipc" }, new() { Type = "uts" }, new() { Type = "mount" }, new() { Type = "cgroup" }, new() { Type = "user" }];
            spec.Linux.UidMappings = [new() { ContainerID = 0, HostID = uid, Size = 1 }];
            spec.Linux.GidMappings = [new() { ContainerID = 0, HostID = Strata.Linux.Sys.EffectiveGroupId, Size = 1 }];
            spec.Mounts.RemoveAll(m => m.Destination is "/sys" or "/dev/mqueue" or "/sys/fs/cgroup");
            spec.Mounts.Add(new() { Destination = "/sys", Type = "none", Source = "/sys", Options = ["rbind", "nosuid", "noexec", "nodev", "ro"] });
            spec.Mounts.Find(m => m.Destination == "/dev/pts")!.Options!.Remove("gid=5");
        }
        return spec;
    }
}
