using Strata.Linux;
using Strata.Oci.Runtime;
using Strata.Runtime.Config;
using LinuxConfig = Strata.Oci.Runtime.Linux;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// A validated config.json turned into what create needs: absolute paths, the namespaces to create and
/// to join, the cgroup path and the effective device rules. Every check that can fail does so here,
/// before anything exists on the host.
/// </summary>
public sealed class ContainerPlan
{
    public required Spec Spec { get; init; }
    public required string Bundle { get; init; }
    public required string Rootfs { get; init; }
    public required string CgroupsPath { get; init; }
    /// <summary>config.json named the cgroup (linux.cgroupsPath) rather than leaving it to the runtime.</summary>
    public bool CgroupsPathGiven { get; init; }
    public required NamespaceFlags NewNamespaces { get; init; }
    public required IReadOnlyList<(NamespaceFlags Type, string Path)> JoinNamespaces { get; init; }
    public required LinuxResources Resources { get; init; }

    public bool OwnPidNamespace => NewNamespaces.HasFlag(NamespaceFlags.Pid);

    /// <summary>The container neither creates nor joins a mount namespace: its mounts are made in the runtime's.</summary>
    public bool SharesRuntimeMountNamespace =>
        !NewNamespaces.HasFlag(NamespaceFlags.Mount) && !JoinNamespaces.Any(j => j.Type == NamespaceFlags.Mount);

    /// <summary>The container runs in a user namespace other than the runtime's, new or joined.</summary>
    public bool InUserNamespace => NewNamespaces.HasFlag(NamespaceFlags.User) || JoinNamespaces.Any(j => j.Type == NamespaceFlags.User);

    /// <summary>Whether anything in the resources needs a cgroup of our own (devices rules alone do not).</summary>
    public bool HasLimits
    {
        get
        {
            var r = Resources;
            return r.Memory is not null || r.Cpu is not null || r.Pids is not null || r.BlockIO is not null
                || r.HugepageLimits is { Count: > 0 } || r.Network is not null || r.Rdma is { Count: > 0 } || r.Unified is { Count: > 0 };
        }
    }

    public List<string> NewNamespaceNames => NamespaceNames.NamesOf(NewNamespaces);

    /// <summary>The namespaces of the init native/nsexec.c pre-forks when run as root (see <see cref="Zygote"/>).</summary>
    public const NamespaceFlags PreforkedNamespaces = NamespaceFlags.Pid | NamespaceFlags.Mount;

    /// <summary>
    /// Namespaces a thread can create or join for itself in a multi-threaded process: the init's C# does them
    /// on the thread that execs. A user or mount namespace cannot be entered so, and a new pid namespace only
    /// takes effect in a new process: those are the native stage's.
    /// </summary>
    public const NamespaceFlags PerThreadNamespaces = NamespaceFlags.Network | NamespaceFlags.Ipc | NamespaceFlags.Uts | NamespaceFlags.Cgroup;

    /// <summary>
    /// The pre-forked init fits this container when what only the native stage can do is exactly what it did:
    /// new pid and mount namespaces, no user or time namespace, nothing joined but per-thread kinds. That is
    /// every rootful container that does not share its pid or mount namespace (runc's default spec, docker's,
    /// podman's, a Kubernetes pod's containers joining the sandbox's network, IPC and UTS namespaces).
    /// </summary>
    public bool FitsPreforkedInit =>
        (NewNamespaces & ~PerThreadNamespaces) == PreforkedNamespaces
        && JoinNamespaces.All(j => (j.Type & PerThreadNamespaces) == j.Type);

    /// <summary>
    /// What the init does itself, on its exec thread: the namespaces it creates, and those it joins (their
    /// fds follow its request). A pre-forked init does all per-thread kinds; one forked by the native stage
    /// after the bootstrap only the new cgroup namespace, which must wait until it is in its cgroups.
    /// </summary>
    public (NamespaceFlags Create, IReadOnlyList<(NamespaceFlags Type, string Path)> Join) InitNamespaces(bool preforked) =>
        preforked
            ? (NewNamespaces & PerThreadNamespaces, JoinNamespaces)
            : (NewNamespaces & NamespaceFlags.Cgroup, []);

    /// <summary>
    /// What the native stage unshares and joins. A new cgroup namespace is not among them: the init unshares
    /// it once the parent has moved it into the container's cgroups (runc's nsexec waits for that too), so
    /// the native stage need not wait for the cgroups and the init's start overlaps their creation.
    /// </summary>
    public IEnumerable<string> BootstrapEntries()
    {
        yield return $"flags={(int)(NewNamespaces & ~NamespaceFlags.Cgroup)}";
        foreach (var (type, path) in JoinNamespaces)
            yield return $"join={(int)type}:{path}";
    }

    public static ContainerPlan From(Spec spec, string bundle, string id)
    {
        var root = spec.Root!.Path;
        var rootfs = Path.GetFullPath(Path.IsPathRooted(root) ? root : Path.Combine(bundle, root));
        if (!Directory.Exists(rootfs))
            throw new RuntimeException($"rootfs ({rootfs}) does not exist");
        if (spec.Process is null)
            throw new RuntimeException("config.json: process is required to create a container");

        var linux = spec.Linux ?? new LinuxConfig();
        var newNs = NamespaceFlags.None;
        var join = new List<(NamespaceFlags, string)>();
        foreach (var ns in linux.Namespaces ?? [])
        {
            var flag = NamespaceNames.FlagOf(ns.Type);
            if (string.IsNullOrEmpty(ns.Path))
            {
                newNs |= flag;
            }
            else
            {
                if (!File.Exists(ns.Path))
                    throw new RuntimeException($"linux.namespaces: {ns.Type} namespace path {ns.Path} does not exist");
                join.Add((flag, ns.Path));
            }
        }
        if (join.FirstOrDefault(j => j.Item1 == NamespaceFlags.User) is { Item2: { } userNs })
            CheckJoinedMappings(userNs, linux);
        // Without a mount namespace the container's mounts are made in the runtime's (RootfsSetup), which a new user
        // namespace has no privilege over: the one case that cannot work.
        var hasMountNs = newNs.HasFlag(NamespaceFlags.Mount) || join.Any(j => j.Item1 == NamespaceFlags.Mount);
        if (!hasMountNs && newNs.HasFlag(NamespaceFlags.User))
            throw new RuntimeException("linux.namespaces: a new user namespace needs a mount namespace too (the container's mounts would be made in the runtime's mount namespace, which the user namespace has no privilege over)");
        // As runc: a joined UTS namespace counts (the hostname is then set in the joined one).
        var hasUts = newNs.HasFlag(NamespaceFlags.Uts) || join.Any(j => j.Item1 == NamespaceFlags.Uts);
        if (!string.IsNullOrEmpty(spec.Hostname) && !hasUts)
            throw new RuntimeException("unable to set hostname without a private UTS namespace");
        if (!string.IsNullOrEmpty(spec.Domainname) && !hasUts)
            throw new RuntimeException("unable to set domainname without a private UTS namespace");
        CheckSysctls(linux.Sysctl, newNs, join);
        CheckCapabilities(spec.Process.Capabilities);
        // The names only: the compile that checks the rest is create's, once per profile (SeccompFilter.CompileCached).
        Init.SeccompFilter.CheckNames(linux.Seccomp);

        foreach (var mount in BindMounts.ResolveSources(spec, bundle))
        {
            if (!File.Exists(mount.Source) && !Directory.Exists(mount.Source))
                throw new RuntimeException($"mount source {mount.Source} for {mount.Destination} does not exist");
        }

        var cgroupsPath = string.IsNullOrEmpty(linux.CgroupsPath) ? id : linux.CgroupsPath;
        if (cgroupsPath.Split('/').Contains(".."))
            throw new RuntimeException($"linux.cgroupsPath: {cgroupsPath} must not contain '..'");

        return new ContainerPlan
        {
            Spec = spec,
            Bundle = bundle,
            Rootfs = rootfs,
            CgroupsPath = cgroupsPath,
            CgroupsPathGiven = !string.IsNullOrEmpty(linux.CgroupsPath),
            NewNamespaces = newNs,
            JoinNamespaces = join,
            Resources = EffectiveResources(linux),
        };
    }

    /// <summary>
    /// The spec's device rules, then runc's allow list (libcontainer/specconv AllowedDevices): a config
    /// that denies all devices must still reach /dev/null and friends. Devices in linux.devices are not
    /// allowed implicitly; engines add their rules (docker run --device does).
    /// </summary>
    private static LinuxResources EffectiveResources(LinuxConfig linux)
    {
        var resources = linux.Resources ?? new LinuxResources();
        if (resources.Devices is not { Count: > 0 } rules)
            return resources;
        var effective = new List<LinuxDeviceCgroup>(rules);
        // mknod of any node is allowed; opening it is what the rules control.
        effective.Add(new LinuxDeviceCgroup { Allow = true, Type = "c", Access = "m" });
        effective.Add(new LinuxDeviceCgroup { Allow = true, Type = "b", Access = "m" });
        foreach (var d in Init.RootfsSetup.DefaultDevices)
            effective.Add(new LinuxDeviceCgroup { Allow = true, Type = d.Type, Major = d.Major, Minor = d.Minor, Access = "rwm" });
        // /dev/console, /dev/pts/* and /dev/ptmx for a private devpts instance, and /dev/net/tun.
        effective.Add(new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 5, Minor = 1, Access = "rwm" });
        effective.Add(new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 136, Access = "rwm" });
        effective.Add(new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 5, Minor = 2, Access = "rwm" });
        effective.Add(new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 10, Minor = 200, Access = "rwm" });
        resources.Devices = effective;
        return resources;
    }

    /// <summary>
    /// Mappings given with a joined user namespace must be that namespace's (runc requires them, and a
    /// mismatch would mean the engine prepared the rootfs for other ids). Checked when the path names a
    /// process's namespace, whose maps /proc shows.
    /// </summary>
    private static void CheckJoinedMappings(string path, LinuxConfig linux)
    {
        var m = System.Text.RegularExpressions.Regex.Match(path, @"^/proc/(\d+|self)/ns/user$");
        if (!m.Success)
            return;
        foreach (var (name, given) in new[] { ("uid_map", linux.UidMappings), ("gid_map", linux.GidMappings) })
        {
            if (given is not { Count: > 0 })
                continue;
            string actual;
            try
            {
                actual = File.ReadAllText($"/proc/{m.Groups[1].Value}/{name}");
            }
            catch (IOException)
            {
                continue;
            }
            static string Normal(string text) => string.Join('\n', text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).Order(StringComparer.Ordinal));
            if (Normal(actual) != Normal(IdMappings.Format(given)))
                throw new RuntimeException($"linux.{(name == "uid_map" ? "uidMappings" : "gidMappings")} do not match the joined user namespace {path} ({Normal(actual).Replace('\n', ',')})");
        }
    }

    private static void CheckCapabilities(LinuxCapabilities? caps)
    {
        if (caps is null)
            return;
        foreach (var (set, names) in new[] { ("bounding", caps.Bounding), ("effective", caps.Effective), ("inheritable", caps.Inheritable), ("permitted", caps.Permitted), ("ambient", caps.Ambient) })
        {
            foreach (var name in names ?? [])
            {
                if (Capabilities.Parse(name) < 0)
                    throw new RuntimeException($"process.capabilities.{set}: unknown capability \"{name}\"");
            }
        }
    }

    /// <summary>Sysctls are namespaced: writing one the container does not own would change the host.</summary>
    private static void CheckSysctls(Dictionary<string, string>? sysctls, NamespaceFlags newNs, List<(NamespaceFlags, string)> join)
    {
        if (sysctls is null)
            return;
        bool Has(NamespaceFlags f) => newNs.HasFlag(f) || join.Any(j => j.Item1 == f);
        foreach (var key in sysctls.Keys)
        {
            if (key.StartsWith("net.", StringComparison.Ordinal))
            {
                if (!Has(NamespaceFlags.Network))
                    throw new RuntimeException($"sysctl \"{key}\" not allowed in host network namespace");
            }
            else if (key.StartsWith("fs.mqueue.", StringComparison.Ordinal) || key is "kernel.msgmax" or "kernel.msgmnb" or "kernel.msgmni" or "kernel.sem" or "kernel.shmall" or "kernel.shmmax" or "kernel.shmmni" or "kernel.shm_rmid_forced")
            {
                if (!Has(NamespaceFlags.Ipc))
                    throw new RuntimeException($"sysctl \"{key}\" is not allowed in the hosts ipc namespace");
            }
            else if (key is "kernel.hostname" or "kernel.domainname")
            {
                if (!Has(NamespaceFlags.Uts))
                    throw new RuntimeException($"sysctl \"{key}\" is not allowed in the hosts uts namespace");
            }
            else
            {
                throw new RuntimeException($"sysctl \"{key}\" is not in a separate kernel namespace");
            }
        }
    }
}
