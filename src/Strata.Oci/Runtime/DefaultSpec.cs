namespace Strata.Oci.Runtime;

/// <summary>
/// The config.json `strata-runtime spec` writes: the same defaults as `runc spec`, so bundles move between
/// the two. Containers made from images start from it too.
/// </summary>
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

    /// <summary>`runc spec`'s config: new namespaces, a read-only rootfs, runc's three capabilities.</summary>
    public static Spec Create()
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
            Linux = new Linux
            {
                Resources = new LinuxResources { Devices = [new LinuxDeviceCgroup { Allow = false, Access = "rwm" }] },
                Namespaces = [new() { Type = "pid" }, new() { Type = "network" }, new() { Type = "ipc" }, new() { Type = "uts" }, new() { Type = "mount" }, new() { Type = "cgroup" }],
                MaskedPaths = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
                ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
            },
        };
        return spec;
    }

    /// <summary>
    /// `runc spec --rootless`'s config: a user namespace mapping root in the container to
    /// <paramref name="hostUid"/>/<paramref name="hostGid"/> (the caller's effective ids), no cgroup limits
    /// or network namespace to set up, sysfs bind-mounted because a fresh sysfs needs a network namespace
    /// the user owns.
    /// </summary>
    public static Spec CreateRootless(uint hostUid, uint hostGid)
    {
        var spec = Create();
        var linux = spec.Linux!;
        linux.Resources = null;
        linux.Namespaces = [new() { Type = "pid" }, new() { Type = "ipc" }, new() { Type = "uts" }, new() { Type = "mount" }, new() { Type = "cgroup" }, new() { Type = "user" }];
        linux.UidMappings = [new() { ContainerID = 0, HostID = hostUid, Size = 1 }];
        linux.GidMappings = [new() { ContainerID = 0, HostID = hostGid, Size = 1 }];
        var mounts = spec.Mounts!;
        mounts.RemoveAll(m => m.Destination is "/sys" or "/dev/mqueue" or "/sys/fs/cgroup");
        mounts.Add(new() { Destination = "/sys", Type = "none", Source = "/sys", Options = ["rbind", "nosuid", "noexec", "nodev", "ro"] });
        mounts.Find(m => m.Destination == "/dev/pts")!.Options!.Remove("gid=5");
        return spec;
    }
}
