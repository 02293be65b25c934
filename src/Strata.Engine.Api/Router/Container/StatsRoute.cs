using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;
using Strata.Engine.Stats;

namespace Strata.Engine.Api.Router.Container;

/// <summary>A container as the stats route needs it.</summary>
/// <param name="Pid">The init's pid while it runs; null otherwise.</param>
public sealed record StatsTarget(string Id, string Name, int? Pid);

/// <summary>What GET /containers/{id}/stats needs of the daemon.</summary>
public interface IStatsBackend
{
    /// <summary>Null when no container has that name or id.</summary>
    StatsTarget? FindStatsTarget(string nameOrId);

    /// <summary>Null when the container is not running (any more).</summary>
    ContainerStatsSample? ReadStats(StatsTarget target);
}

/// <summary>
/// GET /containers/{id}/stats (moby's daemon/stats.go): streamed once a second with the previous reading as
/// `precpu_stats`; with stream=false, two readings a second apart so the CPU share can be computed, or one
/// with one-shot=true; a container that is not running gets one empty reading.
/// </summary>
public static class StatsRoute
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public static void Map(IEndpointRouteBuilder endpoints, IStatsBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        endpoints.MapGet("/containers/{id}/stats", context => HandleAsync(context, backend)).WithMetadata(DockerRoute.Instance);
    }

    private static async Task HandleAsync(HttpContext context, IStatsBackend backend)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        var target = backend.FindStatsTarget(id);
        if (target is null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, $"No such container: {id}").ConfigureAwait(false);
            return;
        }
        var stream = !context.Request.Query.ContainsKey("stream") || Query.Bool(context, "stream");
        var oneShot = Query.Bool(context, "one-shot");
        if (stream && oneShot)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, "cannot have stream=true and one-shot=true").ConfigureAwait(false);
            return;
        }
        var aborted = context.RequestAborted;
        context.Response.ContentType = "application/json";
        var name = "/" + target.Name;
        var previous = backend.ReadStats(target);
        if (previous is null)
        {
            await WriteAsync(context, new StatsResponse { Name = name, Id = target.Id }, aborted).ConfigureAwait(false);
            return;
        }
        try
        {
            if (!stream && oneShot)
            {
                await WriteAsync(context, Shape(name, target.Id, previous, null), aborted).ConfigureAwait(false);
                return;
            }
            if (stream)
            {
                // The first reading goes out at once, as dockerd's, with no previous one to compare.
                await WriteAsync(context, Shape(name, target.Id, previous, null), aborted).ConfigureAwait(false);
            }
            while (true)
            {
                await Task.Delay(Interval, aborted).ConfigureAwait(false);
                var current = backend.ReadStats(target);
                if (current is null)
                {
                    return;
                }
                await WriteAsync(context, Shape(name, target.Id, current, previous), aborted).ConfigureAwait(false);
                if (!stream)
                {
                    return;
                }
                previous = current;
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
        }
        catch (IOException) when (aborted.IsCancellationRequested)
        {
        }
    }

    private static async Task WriteAsync(HttpContext context, StatsResponse response, CancellationToken cancellationToken)
    {
        await JsonSerializer.SerializeAsync(context.Response.Body, response, EngineApiJson.Default.StatsResponse, cancellationToken).ConfigureAwait(false);
        await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// memory.stat's figures under the keys docker's clients read: the docker CLI's MEM USAGE is usage minus
    /// total_inactive_file (cgroup v1) or inactive_file (v2), which is cAdvisor's working set and Strata's
    /// container_memory_working_set_bytes; so both spellings are filled, whatever the host's cgroup version.
    /// </summary>
    internal static Dictionary<string, ulong> MemoryStatDictionary(Strata.Cgroups.MemoryStats memory)
    {
        var stats = new Dictionary<string, ulong>(StringComparer.Ordinal);
        void Both(string name, ulong? value)
        {
            if (value is { } v)
            {
                stats[name] = v;
                stats["total_" + name] = v;
            }
        }
        Both("inactive_file", memory.InactiveFileBytes);
        Both("rss", memory.RssBytes);
        Both("cache", memory.CacheBytes);
        Both("mapped_file", memory.MappedFileBytes);
        Both("swap", memory.SwapBytes);
        return stats;
    }

    /// <summary>
    /// blkio_stats as dockerd's (the "read"/"write" entries the docker CLI sums for BLOCK I/O): the cgroup's
    /// per-device counters; where those count nothing (v1 blkio on hosts like this one), the processes' own
    /// storage bytes from /proc/PID/io, exited processes included, as one entry under device 0:0, which is no
    /// block device: dockerd and podman report 0 there.
    /// </summary>
    internal static BlkioStatsJson Blkio(ContainerStatsSample now)
    {
        if (now.Io is { Source: Strata.Metrics.Collectors.IoSource.ProcessIo } p && p.ReadBytes + p.WriteBytes > 0)
        {
            return new BlkioStatsJson
            {
                IoServiceBytesRecursive = [new BlkioEntryJson(0, 0, "read", p.ReadBytes), new BlkioEntryJson(0, 0, "write", p.WriteBytes)],
            };
        }
        var devices = now.Io?.Devices ?? now.Cgroup.BlockIo?.Devices;
        if (devices is null || devices.Count == 0)
        {
            return new BlkioStatsJson();
        }
        return new BlkioStatsJson
        {
            IoServiceBytesRecursive = devices.SelectMany(d => new[] { new BlkioEntryJson(d.Major, d.Minor, "read", d.ReadBytes), new BlkioEntryJson(d.Major, d.Minor, "write", d.WriteBytes) }).ToList(),
            IoServicedRecursive = devices.SelectMany(d => new[] { new BlkioEntryJson(d.Major, d.Minor, "read", d.ReadOperations), new BlkioEntryJson(d.Major, d.Minor, "write", d.WriteOperations) }).ToList(),
        };
    }

    internal static StatsResponse Shape(string name, string id, ContainerStatsSample now, ContainerStatsSample? before)
    {
        var memory = now.Cgroup.Memory;
        var pids = now.Cgroup.Pids;
        return new StatsResponse
        {
            Name = name,
            Id = id,
            Read = Time(now.Read),
            PreRead = before is null ? StatsResponse.ZeroTime : Time(before.Read),
            BlkioStats = Blkio(now),
            PidsStats = new PidsStatsJson
            {
                Current = pids?.Current,
                Limit = pids is { Limit: not ulong.MaxValue } ? pids.Limit : null,
            },
            CpuStats = Cpu(now),
            PreCpuStats = before is null ? new CpuStatsJson() : Cpu(before),
            MemoryStats = memory is null ? new MemoryStatsJson() : new MemoryStatsJson
            {
                Usage = memory.UsageBytes,
                MaxUsage = memory.MaxUsageBytes,
                Failcnt = memory.FailCount,
                // Unlimited is the host's memory, as dockerd reports it.
                Limit = memory.LimitBytes == ulong.MaxValue || memory.LimitBytes > now.HostMemoryBytes ? now.HostMemoryBytes : memory.LimitBytes,
                Stats = MemoryStatDictionary(memory),
            },
            Networks = now.Networks.Count == 0 ? null : now.Networks.ToDictionary(n => n.Key, n => new NetworkStatsJson
            {
                RxBytes = n.Value.RxBytes,
                RxPackets = n.Value.RxPackets,
                RxErrors = n.Value.RxErrors,
                RxDropped = n.Value.RxDropped,
                TxBytes = n.Value.TxBytes,
                TxPackets = n.Value.TxPackets,
                TxErrors = n.Value.TxErrors,
                TxDropped = n.Value.TxDropped,
            }),
        };
    }

    private static CpuStatsJson Cpu(ContainerStatsSample s)
    {
        var cpu = s.Cgroup.Cpu;
        return new CpuStatsJson
        {
            CpuUsage = cpu is null ? new CpuUsageJson() : new CpuUsageJson
            {
                TotalUsage = cpu.UsageNanoseconds,
                PercpuUsage = cpu.PerCpuNanoseconds,
                UsageInKernelmode = cpu.SystemNanoseconds ?? 0,
                UsageInUsermode = cpu.UserNanoseconds ?? 0,
            },
            SystemUsage = s.SystemCpuNanoseconds,
            OnlineCpus = (uint)s.OnlineCpus,
            ThrottlingData = cpu is null ? new ThrottlingJson() : new ThrottlingJson
            {
                Periods = cpu.Periods,
                ThrottledPeriods = cpu.ThrottledPeriods,
                ThrottledTime = cpu.ThrottledNanoseconds,
            },
        };
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);
}
