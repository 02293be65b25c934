using System.Globalization;
using Strata.Engine.Api.Router.Container;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;
using Strata.Engine.Containers;
using Strata.Images;

namespace Strata.Engine.Api.Daemon;

/// <summary>The container routes' backend: API shapes from the engine's records, the verbs through <see cref="ContainerLifecycle"/>.</summary>
public sealed partial class EngineDaemon
{
    private const string ZeroTime = "0001-01-01T00:00:00Z";

    public IReadOnlyList<ContainerSummary> ListContainers(ContainerListOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var filters = options.Filters ?? Filters.Empty;
        IReadOnlyList<EngineContainer> all;
        lock (_lock)
        {
            all = _containers.List(all: true);
        }
        var now = _time.GetUtcNow();
        ValidateHealthFilter(filters);
        foreach (var status in filters.Get("status"))
        {
            if (status is not ("created" or "running" or "paused" or "restarting" or "removing" or "exited" or "dead"))
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid filter 'status={status}'");
            }
        }
        var exited = filters.Get("exited").Select(v => int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code) ? code
            : throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid filter 'exited={v}'")).ToList();
        var before = filters.Get("before").Select(v => _lifecycle.Get(v)).FirstOrDefault();
        var since = filters.Get("since").Select(v => _lifecycle.Get(v)).FirstOrDefault();
        // moby's daemon/list.go: a status filter lists stopped containers too; so do before and since.
        var includeStopped = options.All || filters.Contains("status") || before is not null || since is not null;
        var result = new List<ContainerSummary>();
        var passedBefore = before is null;
        foreach (var c in all)
        {
            if (!passedBefore)
            {
                passedBefore = c.Id == before!.Id;
                continue;
            }
            if (since is not null && c.Id == since.Id)
            {
                break;
            }
            if (!includeStopped && !c.IsActive && c.State != ContainerState.Restarting)
            {
                continue;
            }
            var labels = c.Details.Config?.Labels ?? [];
            if (!filters.FuzzyMatch("id", c.Id) || !filters.Match("name", "/" + c.Name) || !filters.MatchLabels("label", labels)
                || (filters.Contains("annotation") && !filters.MatchLabels("annotation", AnnotationsOf(c)))
                || !filters.ExactMatch("status", EngineContainer.StatusName(c.State))
                || (exited.Count > 0 && !(c.State == ContainerState.Exited && c.ExitCode is { } code && exited.Contains(code)))
                || (filters.Contains("ancestor") && !filters.Get("ancestor").Any(a => IsAncestor(a, c)))
                || (filters.Contains("health") && !filters.Get("health").Contains(HealthFilterValue(c))))
            {
                continue;
            }
            result.Add(options.Size ? WithSizes(Summary(c, now), c) : Summary(c, now));
            if (options.Limit is { } limit && result.Count >= limit)
            {
                break;
            }
        }
        return result;
    }

    /// <summary>HostConfig.Annotations of the create request, kept whole with the rest of its HostConfig.</summary>
    private static Dictionary<string, string> AnnotationsOf(EngineContainer c)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        if (c.Details.HostConfig?.Extra is { } extra && extra.TryGetValue("Annotations", out var value) && value.ValueKind == System.Text.Json.JsonValueKind.Object)
        {
            foreach (var p in value.EnumerateObject())
            {
                annotations[p.Name] = p.Value.ValueKind == System.Text.Json.JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            }
        }
        return annotations;
    }

    public ContainerInspect InspectContainer(string nameOrId, bool size = false)
    {
        var c = _lifecycle.Get(nameOrId);
        var config = c.Details.Config ?? new CreateConfig { Image = c.Image, Cmd = [.. c.Command.Split(' ', StringSplitOptions.RemoveEmptyEntries)] };
        var args = (config.Entrypoint ?? []).Concat(config.Cmd ?? []).ToList();
        var dir = _lifecycle.DirectoryOf(c.Id);
        var started = c.Details.Config is not null;
        var settings = new InspectNetworkSettings();
        FillNetworkSettings(c, settings);
        var mounts = new List<MountPoint>();
        FillMounts(c, mounts);
        return new ContainerInspect
        {
            Id = c.Id,
            Created = Rfc3339(c.Created),
            Path = args.Count > 0 ? args[0] : "",
            Args = args.Skip(1).ToList(),
            State = new ContainerStateInspect
            {
                Status = EngineContainer.StatusName(c.State),
                Running = c.IsActive,
                Paused = c.State == ContainerState.Paused,
                Restarting = c.State == ContainerState.Restarting,
                OOMKilled = c.Details.OOMKilled,
                Dead = c.State == ContainerState.Dead,
                Pid = c.IsActive ? c.Pid ?? 0 : 0,
                ExitCode = c.ExitCode ?? 0,
                Error = c.Details.Error ?? "",
                StartedAt = c.Details.StartedAt is { } s ? Rfc3339(s) : ZeroTime,
                FinishedAt = c.Details.FinishedAt is { } f ? Rfc3339(f) : ZeroTime,
                Health = HealthOf(c),
            },
            Image = c.Details.ImageId ?? _images.Find(c.Image)?.Config.ToString() ?? c.Manifest.ToString(),
            ResolvConfPath = started ? Path.Combine(dir, "resolv.conf") : "",
            HostnamePath = started ? Path.Combine(dir, "hostname") : "",
            HostsPath = started ? Path.Combine(dir, "hosts") : "",
            LogPath = started ? _lifecycle.LogPathOf(c.Id) : "",
            Name = "/" + c.Name,
            RestartCount = c.Details.RestartCount,
            Driver = c.Snapshotter,
            HostConfig = c.Details.HostConfig ?? new HostConfig { NetworkMode = "none" },
            GraphDriver = new GraphDriverData(c.Snapshotter, GraphDriverOf(c.Snapshotter, dir)),
            Mounts = mounts,
            Config = config,
            NetworkSettings = settings,
            SizeRw = size ? SizeRwOf(c) : null,
            SizeRootFs = size ? SizeRwOf(c) + ImageSizeOf(c) : null,
        };
    }

    public async Task<ContainerCreateResponse> CreateContainerAsync(CreateRequest request, string? name, CancellationToken cancellationToken)
    {
        var result = await _lifecycle.CreateAsync(request, name, cancellationToken).ConfigureAwait(false);
        return new ContainerCreateResponse(result.Id, result.Warnings);
    }

    public Task StartContainerAsync(string nameOrId, CancellationToken cancellationToken) => _lifecycle.StartAsync(nameOrId, cancellationToken);

    public Task StopContainerAsync(string nameOrId, int? timeoutSeconds, string? signal, CancellationToken cancellationToken) =>
        _lifecycle.StopAsync(nameOrId, timeoutSeconds, signal, cancellationToken);

    public Task RestartContainerAsync(string nameOrId, int? timeoutSeconds, string? signal, CancellationToken cancellationToken) =>
        _lifecycle.RestartAsync(nameOrId, timeoutSeconds, signal, cancellationToken);

    public Task KillContainerAsync(string nameOrId, string? signal, CancellationToken cancellationToken) => _lifecycle.KillAsync(nameOrId, signal, cancellationToken);

    public Task PauseContainerAsync(string nameOrId, CancellationToken cancellationToken) => _lifecycle.PauseAsync(nameOrId, cancellationToken);

    public Task UnpauseContainerAsync(string nameOrId, CancellationToken cancellationToken) => _lifecycle.UnpauseAsync(nameOrId, cancellationToken);

    public async Task<ContainerWaitResponse> WaitContainerAsync(string nameOrId, WaitCondition condition, Func<Task> found, CancellationToken cancellationToken)
    {
        var result = await _lifecycle.WaitAsync(nameOrId, condition, found, cancellationToken).ConfigureAwait(false);
        return new ContainerWaitResponse(result.StatusCode, result.Error is { } e ? new ContainerWaitExitError(e) : null);
    }

    public Task RemoveContainerAsync(string nameOrId, bool force, bool removeVolumes, CancellationToken cancellationToken) =>
        _lifecycle.RemoveAsync(nameOrId, force, removeVolumes, cancellationToken);

    public Task RenameContainerAsync(string nameOrId, string newName, CancellationToken cancellationToken) =>
        _lifecycle.RenameAsync(nameOrId, newName, cancellationToken);

    public async Task<ContainerUpdateResponse> UpdateContainerAsync(string nameOrId, HostConfig update, CancellationToken cancellationToken) =>
        new(await _lifecycle.UpdateAsync(nameOrId, update, cancellationToken).ConfigureAwait(false));

    public async Task<ContainerTopResponse> TopContainerAsync(string nameOrId, string? psArgs, CancellationToken cancellationToken)
    {
        var (titles, processes) = await _lifecycle.TopAsync(nameOrId, psArgs, cancellationToken).ConfigureAwait(false);
        return new ContainerTopResponse(titles, processes);
    }

    public async Task<ContainerPruneResponse> PruneContainersAsync(Filters filters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var until = filters.Get("until").Select(ParseUntil).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
        var result = await _lifecycle.PruneAsync(c => c.Created < until && filters.MatchLabels("label", c.Details.Config?.Labels ?? []), cancellationToken).ConfigureAwait(false);
        return new ContainerPruneResponse(result.Deleted, result.SpaceReclaimed);
    }

    /// <summary>The network part fills inspect's NetworkSettings (EngineDaemon.Networks.cs).</summary>
    partial void FillNetworkSettings(EngineContainer container, InspectNetworkSettings settings);

    /// <summary>The volume part fills inspect's and the list's Mounts (EngineDaemon.Volumes.cs).</summary>
    partial void FillMounts(EngineContainer container, List<MountPoint> mounts);

    /// <summary>The network part fills the list's ports and networks (EngineDaemon.Networks.cs).</summary>
    partial void FillSummaryNetworks(EngineContainer container, List<PortSummary> ports, Dictionary<string, EndpointSettings> networks);

    private ContainerSummary Summary(EngineContainer c, DateTimeOffset now)
    {
        var ports = new List<PortSummary>();
        var networks = new Dictionary<string, EndpointSettings>();
        FillSummaryNetworks(c, ports, networks);
        var mounts = new List<MountPoint>();
        FillMounts(c, mounts);
        return new ContainerSummary
        {
            Id = c.Id,
            Names = ["/" + c.Name],
            Image = c.Details.Config?.Image is { Length: > 0 } requested ? requested : Familiar(c.Image),
            ImageID = c.Details.ImageId ?? _images.Find(c.Image)?.Config.ToString() ?? c.Manifest.ToString(),
            Command = c.Command,
            Created = c.Created.ToUnixTimeSeconds(),
            Labels = c.Details.Config?.Labels ?? [],
            State = EngineContainer.StatusName(c.State),
            Status = StatusText(c, now) + HealthSuffix(c),
            Ports = ports,
            HostConfig = new ContainerHostConfig(c.Details.HostConfig?.NetworkMode is { Length: > 0 } mode ? mode : "none"),
            NetworkSettings = new ContainerNetworkSettings(networks),
            Mounts = mounts,
        };
    }

    /// <summary>docker's human status (moby container/state.go String()).</summary>
    private static string StatusText(EngineContainer c, DateTimeOffset now)
    {
        var ago = c.Details.FinishedAt is { } f ? " " + HumanDuration.Format(now - f) + " ago" : "";
        return c.State switch
        {
            ContainerState.Created => "Created",
            ContainerState.Running => "Up " + HumanDuration.Format(now - (c.Details.StartedAt ?? c.Created)),
            ContainerState.Paused => "Up " + HumanDuration.Format(now - (c.Details.StartedAt ?? c.Created)) + " (Paused)",
            ContainerState.Restarting => string.Create(CultureInfo.InvariantCulture, $"Restarting ({c.ExitCode ?? 0}){ago}"),
            ContainerState.Removing => "Removal In Progress",
            ContainerState.Dead => "Dead",
            _ => string.Create(CultureInfo.InvariantCulture, $"Exited ({c.ExitCode ?? 0}){ago}"),
        };
    }

    /// <summary>ancestor=image: its name as given, familiar or canonical, or its id (full, short, with or without sha256:).</summary>
    private static bool IsAncestor(string reference, EngineContainer c)
    {
        if (reference == c.Details.Config?.Image || reference == c.Image || reference == Familiar(c.Image))
        {
            return true;
        }
        if (ImageName.TryParse(reference, out var name, out _) && name.ToString() == c.Image)
        {
            return true;
        }
        var id = c.Details.ImageId ?? "";
        var bare = reference.StartsWith("sha256:", StringComparison.Ordinal) ? reference[7..] : reference;
        return bare.Length >= 4 && id.StartsWith("sha256:" + bare, StringComparison.Ordinal);
    }

    private DateTimeOffset ParseUntil(string value)
    {
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }
        // A Go duration ("24h", "10m"): that long ago.
        var unit = value[^1];
        if (double.TryParse(value[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && unit is 'h' or 'm' or 's')
        {
            return _time.GetUtcNow() - (unit == 'h' ? TimeSpan.FromHours(n) : unit == 'm' ? TimeSpan.FromMinutes(n) : TimeSpan.FromSeconds(n));
        }
        throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid filter 'until={value}'");
    }

    private static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>"docker.io/library/busybox:latest" as docker prints it: "busybox:latest".</summary>
    private static string Familiar(string image) =>
        ImageName.TryParse(image, out var name, out _)
            ? name.FamiliarRepository + (name.Tag is { } tag ? ":" + tag : "") + (name.Digest is { } d ? "@" + d : "")
            : image;

    /// <summary>The overlay's directories; with a user namespace, how its layers were seen through the mapping ("UsernsLayers": idmapped or copy).</summary>
    private static Dictionary<string, string> GraphDriverOf(string snapshotter, string dir)
    {
        var data = snapshotter == "overlay"
            ? new Dictionary<string, string> { ["UpperDir"] = Path.Combine(dir, "upper"), ["WorkDir"] = Path.Combine(dir, "work"), ["MergedDir"] = Path.Combine(dir, "bundle", "rootfs") }
            : new Dictionary<string, string>();
        if (Strata.Engine.UserNamespaces.ContainerUserNamespace.LayersOf(dir) is { } layers)
        {
            data["UsernsLayers"] = layers;
        }
        return data;
    }
}
