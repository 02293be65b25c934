using System.Globalization;
using System.Runtime.InteropServices;
using Strata.Engine.Api.Router.Container;
using Strata.Engine.Api.Router.Image;
using Strata.Engine.Api.Router.System;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;
using Strata.Engine.ContainerIo;
using Strata.Engine.Containers;
using Strata.Engine.Events;
using Strata.Engine.Exec;
using Strata.Engine.Networking;
using Strata.Engine.UserNamespaces;
using Strata.Engine.Volumes;
using Strata.Images;
using Strata.Images.Distribution;
using Strata.Images.Snapshots;

namespace Strata.Engine.Api.Daemon;

/// <summary>
/// The backends of the API's routers over one engine: the image store and the container service of one
/// root. API shapes are made here from the engine's records; versions are not (the routers own those).
/// </summary>
public sealed partial class EngineDaemon : ISystemBackend, IContainerBackend, IImageBackend, IDisposable
{
    private readonly ImageService _images;
    private readonly CredentialStore _credentials;
    private readonly ContainerService _containers;
    private readonly ContainerLifecycle _lifecycle;
    private readonly TimeProvider _time;
    private readonly string _runtime;
    private readonly AttachService _attach = new();
    private readonly ExecService _execs;
    // The stores hold one SQLite connection each; Kestrel serves requests concurrently.
    private readonly Lock _lock = new();

    /// <param name="userNamespaces">--userns-remap and the subordinate id files; null: no remap, /etc/subuid and /etc/subgid.</param>
    public EngineDaemon(string root, string? runtime = null, TimeProvider? time = null, Microsoft.Extensions.Logging.ILoggerFactory? loggers = null, UserNamespaceOptions? userNamespaces = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _time = time ?? TimeProvider.System;
        Events = new EventBus(_time);
        _runtime = runtime ?? ContainerService.FindRuntime() ?? "strata-runtime";
        Directory.CreateDirectory(root);
        Root = Path.GetFullPath(root);
        Id = ReadOrCreateId(Root);
        _credentials = new CredentialStore([Path.Combine(Root, CredentialFile)]);
        // Registries on loopback are insecure ones, as dockerd's default insecure-registries 127.0.0.0/8.
        _images = new ImageService(new ImageServiceOptions { Root = Root, Time = _time, Credentials = _credentials, LoopbackInsecure = true });
        try
        {
            _containers = new ContainerService(_images, _runtime);
            Volumes = new VolumeService(Root, Events, time: _time);
            _lifecycle = new ContainerLifecycle(_images, _runtime, time: _time, logger: loggers?.CreateLogger("Strata.Engine.Containers"));
            _lifecycle.Events += e => Events.Publish(EventType.Container, e.Action, e.Id, e.Attributes);
            _lifecycle.AddHook(new VolumeHook(Volumes));
            _lifecycle.AddHook(_attach);
            _execs = new ExecService(_runtime, Path.Combine(Root, "exec"), _lifecycle.MonitorBinary);
            _execs.Events += PublishExecEvent;
            // After the volumes' hook: it chowns the data dirs of the volumes that hook mounted.
            UserNamespaces = new UserNamespaceHook(_images, _lifecycle.ContainersDir, Volumes.Location, userNamespaces ?? new UserNamespaceOptions());
            _lifecycle.AddHook(UserNamespaces);
            _lifecycle.SetRootfsMounter(UserNamespaces);
            AddHealthMonitor(loggers);
        }
        catch
        {
            _containers?.Dispose();
            Volumes?.Dispose();
            _images.Dispose();
            throw;
        }
    }

    /// <summary>The containers' lifecycle; the network and volume parts add their hooks here (<see cref="ContainerLifecycle.AddHook"/>) before <see cref="StartAsync"/>.</summary>
    public ContainerLifecycle Containers => _lifecycle;

    /// <summary>Before serving: live-restore of the containers (re-adopting running ones), then the hooks reconcile.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (!_networkHooked)
        {
            // Here, not in the constructor: the network options are init properties, set after it.
            _lifecycle.AddHook(new NetworkHook(Networks, _lifecycle.Get));
            _networkHooked = true;
        }
        return _lifecycle.RestoreAsync(cancellationToken);
    }

    private bool _networkHooked;

    public string Root { get; }

    /// <summary>The engine's events: every part publishes here; `/events` reads here.</summary>
    public EventBus Events { get; }

    /// <summary>The volumes of the root (ROOT/volumes), and the mounts of its containers.</summary>
    public VolumeService Volumes { get; }

    /// <summary>User namespaces of containers (--userns=auto, --userns-remap) and how their layers are shared.</summary>
    public UserNamespaceHook UserNamespaces { get; }

    /// <summary>The daemon's identity, kept in ROOT/engine-id (dockerd's engine-id).</summary>
    public string Id { get; }

    public SystemVersion GetVersion()
    {
        var details = new Dictionary<string, string>
        {
            ["ApiVersion"] = ApiVersion.Max.ToString(),
            ["Arch"] = ImageService.HostArchitecture,
            ["BuildTime"] = "",
            ["Experimental"] = "false",
            ["GitCommit"] = "",
            ["GoVersion"] = RuntimeInformation.FrameworkDescription,
            ["KernelVersion"] = Host.KernelVersion,
            ["MinAPIVersion"] = ApiVersion.Min.ToString(),
            ["Os"] = "linux",
        };
        return new SystemVersion
        {
            Platform = new PlatformName("Strata"),
            Components = [new ComponentVersion("Engine", EngineApiInfo.Version, details)],
            Version = EngineApiInfo.Version,
            ApiVersion = ApiVersion.Max.ToString(),
            MinAPIVersion = ApiVersion.Min.ToString(),
            GitCommit = "",
            GoVersion = RuntimeInformation.FrameworkDescription,
            Os = "linux",
            Arch = ImageService.HostArchitecture,
            KernelVersion = Host.KernelVersion,
            BuildTime = "",
        };
    }

    public SystemInfo GetInfo()
    {
        IReadOnlyList<EngineContainer> containers;
        int images;
        lock (_lock)
        {
            containers = _containers.List(all: true);
            images = _images.Metadata.ListImages().Select(r => r.Config).Distinct().Count();
        }
        var running = containers.Count(c => c.State == ContainerState.Running);
        var cgroup2 = File.Exists("/sys/fs/cgroup/cgroup.controllers");
        return new SystemInfo
        {
            ID = Id,
            Containers = containers.Count,
            ContainersRunning = running,
            ContainersStopped = containers.Count - running,
            Images = images,
            Driver = SnapshotStore.OverlaySupported ? "overlay" : "copy",
            MemoryLimit = true,
            SwapLimit = true,
            CpuCfsPeriod = true,
            CpuCfsQuota = true,
            CPUShares = true,
            CPUSet = true,
            PidsLimit = true,
            SystemTime = _time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture),
            LoggingDriver = "json-file",
            CgroupDriver = "cgroupfs",
            CgroupVersion = cgroup2 ? "2" : "1",
            KernelVersion = Host.KernelVersion,
            OperatingSystem = Host.OperatingSystem,
            OSVersion = Host.OsVersion,
            OSType = "linux",
            Architecture = Host.Machine,
            IndexServerAddress = "https://index.docker.io/v1/",
            NCPU = Environment.ProcessorCount,
            MemTotal = Host.MemTotal,
            DockerRootDir = Root,
            Name = Environment.MachineName,
            ServerVersion = EngineApiInfo.Version,
            Runtimes = new Dictionary<string, RuntimeInfo> { ["strata-runtime"] = new(_runtime) },
            DefaultRuntime = "strata-runtime",
            SecurityOptions = UserNamespaces.Remapping ? ["name=seccomp,profile=builtin", "name=userns"] : ["name=seccomp,profile=builtin"],
            DriverStatus = [["Userns layers", UserNamespaces.Layers.Mechanism switch { LayerMapper.Idmapped => "idmapped mounts", LayerMapper.Copy => "chowned copies", _ => "idmapped mounts where supported, else chowned copies" }]],
        };
    }

    public void Dispose()
    {
        StopMetricsSampler();
        Volumes.Dispose();
        Health.Dispose();
        _lifecycle.Dispose();
        _networks?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _containers.Dispose();
        _images.Dispose();
    }

    private static string ReadOrCreateId(string root)
    {
        var path = Path.Combine(root, "engine-id");
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } id)
        {
            return id;
        }
        id = Guid.NewGuid().ToString();
        var temp = path + ".tmp";
        File.WriteAllText(temp, id + "\n");
        File.Move(temp, path, overwrite: true);
        return id;
    }
}
