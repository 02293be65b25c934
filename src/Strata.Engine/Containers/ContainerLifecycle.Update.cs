using System.Globalization;
using System.Text.Json;
using Strata.Oci.Runtime;

namespace Strata.Engine.Containers;

public sealed partial class ContainerLifecycle
{
    /// <summary>
    /// POST /containers/{id}/update: the resources and restart policy given (non-zero fields) replace the
    /// container's, the per-device block I/O throttles by <see cref="BlkioDevices.Merge"/>'s rule; a running
    /// container's cgroup is changed at once (the runtime's update).
    /// </summary>
    public async Task<IReadOnlyList<string>> UpdateAsync(string nameOrId, HostConfig update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var id = Get(nameOrId).Id;
        var entry = EntryOf(id);
        using (await entry.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = Get(id);
            var host = JsonSerializer.Deserialize(JsonSerializer.Serialize(record.Details.HostConfig ?? new HostConfig(), EngineJson.Default.HostConfig), EngineJson.Default.HostConfig)!;
            if (update.Memory != 0) host.Memory = update.Memory;
            if (update.MemoryReservation != 0) host.MemoryReservation = update.MemoryReservation;
            if (update.MemorySwap != 0) host.MemorySwap = update.MemorySwap;
            if (update.CpuShares != 0) host.CpuShares = update.CpuShares;
            if (update.NanoCpus != 0) host.NanoCpus = update.NanoCpus;
            if (update.CpuPeriod != 0) host.CpuPeriod = update.CpuPeriod;
            if (update.CpuQuota != 0) host.CpuQuota = update.CpuQuota;
            if (!string.IsNullOrEmpty(update.CpusetCpus)) host.CpusetCpus = update.CpusetCpus;
            if (!string.IsNullOrEmpty(update.CpusetMems)) host.CpusetMems = update.CpusetMems;
            if (update.PidsLimit is { } pids && pids != 0) host.PidsLimit = pids;
            if (update.RestartPolicy is { Name.Length: > 0 } policy) host.RestartPolicy = policy;
            var before = record.Details.HostConfig ?? new HostConfig();
            var blkio = BlkioDevices.Merge(host, update) ? BlkioDevices.Change(before, host) : null;
            DockerSpec.Validate(record.Details.Config ?? new CreateConfig(), host);
            if (record.IsActive)
            {
                var spec = new LinuxResources();
                var probe = DockerSpec.ResourcesOf(host);
                spec.Memory = probe.Memory;
                spec.Cpu = probe.Cpu;
                spec.Pids = probe.Pids;
                spec.BlockIO = blkio;
                var file = Path.Combine(DirectoryOf(id), "update.json");
                // The runtime reads linux.resources alone: the object, cut out of a spec that has only it.
                using (var doc = JsonDocument.Parse(SpecLoader.Serialize(new Spec { Linux = new Strata.Oci.Runtime.Linux { Resources = spec } })))
                {
                    await File.WriteAllTextAsync(file, doc.RootElement.GetProperty("linux").GetProperty("resources").GetRawText(), cancellationToken).ConfigureAwait(false);
                }
                var (exit, _, stderr) = await RuntimeAsync(cancellationToken, "update", "--resources", file, id).ConfigureAwait(false);
                File.Delete(file);
                if (exit != 0)
                {
                    throw new EngineException(EngineErrorCode.Unknown, $"Cannot update container {id}: {stderr}");
                }
            }
            record = record with { Details = Updated(record.Details, d => d.HostConfig = host) };
            Save(record);
            Publish("update", record);
            return [];
        }
    }

    /// <summary>
    /// A network connect or disconnect, which docker records with the container whether it runs or not
    /// (moby's daemon/container_operations.go ConnectToNetwork, DisconnectFromNetwork). Under the container's
    /// lock, so no start or exit runs meanwhile, <paramref name="change"/> sees the current record, acts on a
    /// running container's network itself, and returns the NetworkingConfig to keep (null: unchanged).
    /// </summary>
    public async Task ChangeNetworkingAsync(string nameOrId, Func<EngineContainer, Task<JsonElement?>> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        var id = Get(nameOrId).Id;
        using (await EntryOf(id).LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = Get(id);
            if (record.State is ContainerState.Removing or ContainerState.Dead)
            {
                throw new EngineException(EngineErrorCode.Conflict, $"Container {id} is marked for removal and cannot be connected or disconnected to the network");
            }
            if (await change(record).ConfigureAwait(false) is { } networking)
            {
                Save(record with { Details = Updated(record.Details, d => d.NetworkingConfig = networking) });
            }
        }
    }

    /// <summary>GET /containers/{id}/top: ps over the container's processes (its cgroup's pids), docker's titles and rows.</summary>
    public async Task<(IReadOnlyList<string> Titles, IReadOnlyList<IReadOnlyList<string>> Processes)> TopAsync(string nameOrId, string? psArgs, CancellationToken cancellationToken = default)
    {
        var record = Get(nameOrId);
        if (!record.IsActive)
        {
            throw new EngineException(EngineErrorCode.Conflict, $"Container {record.Id} is not running");
        }
        var (exit, stdout, stderr) = await RuntimeAsync(cancellationToken, "ps", "--format", "json", record.Id).ConfigureAwait(false);
        if (exit != 0)
        {
            throw new EngineException(EngineErrorCode.Unknown, $"Error running top: {stderr}");
        }
        var pids = JsonSerializer.Deserialize(stdout, EngineJson.Default.ListInt32) ?? [];
        var args = string.IsNullOrWhiteSpace(psArgs) ? "-ef" : psArgs;
        var info = new System.Diagnostics.ProcessStartInfo("ps") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            info.ArgumentList.Add(a);
        }
        using var ps = System.Diagnostics.Process.Start(info) ?? throw new EngineException(EngineErrorCode.Unknown, "could not run ps");
        var output = await ps.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        var error = await ps.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await ps.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (ps.ExitCode != 0)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"Error running top: ps {args}: {error.Trim()}");
        }
        return ParsePs(output, pids);
    }

    /// <summary>moby's parsePSOutput: the header's PID column finds each row's pid; rows of other processes are dropped; the last column keeps its spaces.</summary>
    public static (IReadOnlyList<string> Titles, IReadOnlyList<IReadOnlyList<string>> Processes) ParsePs(string output, IReadOnlyCollection<int> pids)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(pids);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            return ([], []);
        }
        var titles = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var pidIndex = Array.IndexOf(titles, "PID");
        if (pidIndex < 0)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "Couldn't find PID field in ps output");
        }
        var rows = new List<IReadOnlyList<string>>();
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(' ', titles.Length, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length <= pidIndex || !int.TryParse(fields[pidIndex], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || !pids.Contains(pid))
            {
                continue;
            }
            rows.Add(fields);
        }
        return (titles, rows);
    }
}
