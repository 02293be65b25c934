using System.Globalization;
using System.Text;
using Strata.Cgroups;
using Strata.Metrics.Collectors;

namespace Strata.Metrics.Prometheus;

/// <summary>A container's sample with what labels it: "id" is its cgroup path, as cAdvisor's.</summary>
/// <param name="Disks">Its writable layer and volumes, one entry per filesystem (<see cref="DiskUsage.MeasureByFilesystem"/>).</param>
public sealed record ContainerMetrics(ContainerTarget Target, ContainerSample Sample, IReadOnlyList<DiskUsage>? Disks = null);

/// <summary>
/// The Prometheus text exposition format (version 0.0.4) with cAdvisor's metric names, types, units, HELP
/// texts and labels (id, name, image, interface, device, cpu), so dashboards and alerts written for
/// cAdvisor work unchanged; what cAdvisor lacks (the load average per container on any cgroup version,
/// the I/O of the processes and which source a figure comes from, the node's figures) is under strata_.
/// Families are written once each, HELP and TYPE first, then a series per container.
/// </summary>
public static class PrometheusWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Write(IReadOnlyList<ContainerMetrics> containers, HostSample? host = null, Func<uint, uint, string>? deviceName = null)
    {
        ArgumentNullException.ThrowIfNull(containers);
        deviceName ??= BlockDeviceName;
        var families = new Families();
        foreach (ContainerMetrics c in containers)
            AddContainer(families, c, deviceName);
        if (host is not null)
            AddHost(families, host);
        return families.ToString();
    }

    private static void AddContainer(Families m, ContainerMetrics c, Func<uint, uint, string> deviceName)
    {
        string id = c.Target.Cgroup.CgroupsPath;
        string[] labels = ["id", id, "image", c.Target.Image, "name", c.Target.Name];
        ContainerSample s = c.Sample;
        m.Add("container_last_seen", "gauge", "Last time a container was seen by the exporter", labels, s.Timestamp.ToUnixTimeMilliseconds() / 1000.0);

        if (s.Cpu is { } cpu)
        {
            m.Add("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.", [.. labels, "cpu", "total"], cpu.UsageSeconds);
            if (cpu.UserSeconds is { } user)
                m.Add("container_cpu_user_seconds_total", "counter", "Cumulative user cpu time consumed in seconds.", labels, user);
            if (cpu.SystemSeconds is { } system)
                m.Add("container_cpu_system_seconds_total", "counter", "Cumulative system cpu time consumed in seconds.", labels, system);
            m.Add("container_cpu_cfs_periods_total", "counter", "Number of elapsed enforcement period intervals.", labels, cpu.Periods);
            m.Add("container_cpu_cfs_throttled_periods_total", "counter", "Number of throttled period intervals.", labels, cpu.ThrottledPeriods);
            m.Add("container_cpu_cfs_throttled_seconds_total", "counter", "Total time duration the container has been throttled.", labels, cpu.ThrottledSeconds);
            if (cpu.QuotaMicroseconds is { } quota)
                m.Add("container_spec_cpu_quota", "gauge", "CPU quota of the container.", labels, quota);
            if (cpu.PeriodMicroseconds is { } period)
                m.Add("container_spec_cpu_period", "gauge", "CPU period of the container.", labels, period);
        }

        if (s.Memory is { } mem)
        {
            m.Add("container_memory_usage_bytes", "gauge", "Current memory usage in bytes, including all memory regardless of when it was accessed", labels, mem.UsageBytes);
            m.Add("container_memory_working_set_bytes", "gauge", "Current working set in bytes.", labels, mem.WorkingSetBytes);
            if (mem.RssBytes is { } rss)
                m.Add("container_memory_rss", "gauge", "Size of RSS in bytes.", labels, rss);
            if (mem.CacheBytes is { } cache)
                m.Add("container_memory_cache", "gauge", "Number of bytes of page cache memory.", labels, cache);
            if (mem.SwapBytes is { } swap)
                m.Add("container_memory_swap", "gauge", "Container swap usage in bytes.", labels, swap);
            if (mem.MappedFileBytes is { } mapped)
                m.Add("container_memory_mapped_file", "gauge", "Size of memory mapped files in bytes.", labels, mapped);
            if (mem.MaxUsageBytes is { } max)
                m.Add("container_memory_max_usage_bytes", "gauge", "Maximum memory usage recorded in bytes", labels, max);
            // cAdvisor's name and type, though its missing _total is a promtool lint finding: dashboards query it by this name.
            m.Add("container_memory_failcnt", "counter", "Number of memory usage hits limits", labels, mem.FailCount);
            m.Add("container_oom_events_total", "counter", "Count of out of memory events observed for the container", labels, mem.OomKills);
            if (mem.LimitBytes is { } limit)
                m.Add("container_spec_memory_limit_bytes", "gauge", "Memory limit for the container.", labels, limit);
        }

        foreach (InterfaceCounters i in s.Networks)
        {
            // cAdvisor leaves loopback out: traffic that never leaves the container.
            if (i.Name == "lo")
                continue;
            string[] l = [.. labels, "interface", i.Name];
            m.Add("container_network_receive_bytes_total", "counter", "Cumulative count of bytes received", l, i.RxBytes);
            m.Add("container_network_receive_packets_total", "counter", "Cumulative count of packets received", l, i.RxPackets);
            m.Add("container_network_receive_errors_total", "counter", "Cumulative count of errors encountered while receiving", l, i.RxErrors);
            m.Add("container_network_receive_packets_dropped_total", "counter", "Cumulative count of packets dropped while receiving", l, i.RxDropped);
            m.Add("container_network_transmit_bytes_total", "counter", "Cumulative count of bytes transmitted", l, i.TxBytes);
            m.Add("container_network_transmit_packets_total", "counter", "Cumulative count of packets transmitted", l, i.TxPackets);
            m.Add("container_network_transmit_errors_total", "counter", "Cumulative count of errors encountered while transmitting", l, i.TxErrors);
            m.Add("container_network_transmit_packets_dropped_total", "counter", "Cumulative count of packets dropped while transmitting", l, i.TxDropped);
        }

        if (s.Io is { } io)
        {
            foreach (DeviceIoStats d in io.Devices)
            {
                string device = deviceName(d.Major, d.Minor);
                string[] l = [.. labels, "device", device];
                m.Add("container_fs_reads_bytes_total", "counter", "Cumulative count of bytes read", l, d.ReadBytes);
                m.Add("container_fs_writes_bytes_total", "counter", "Cumulative count of bytes written", l, d.WriteBytes);
                m.Add("container_fs_reads_total", "counter", "Cumulative count of reads completed", l, d.ReadOperations);
                m.Add("container_fs_writes_total", "counter", "Cumulative count of writes completed", l, d.WriteOperations);
                string major = d.Major.ToString(CultureInfo.InvariantCulture), minor = d.Minor.ToString(CultureInfo.InvariantCulture);
                m.Add("container_blkio_device_usage_total", "counter", "Blkio Device bytes usage", [.. labels, "device", device, "major", major, "minor", minor, "operation", "Read"], d.ReadBytes);
                m.Add("container_blkio_device_usage_total", "counter", "Blkio Device bytes usage", [.. labels, "device", device, "major", major, "minor", minor, "operation", "Write"], d.WriteBytes);
            }
            string source = io.Source == IoSource.Cgroup ? "cgroup" : "process_io";
            string[] sl = [.. labels, "source", source];
            m.Add("strata_container_io_read_bytes_total", "counter", "Bytes the container read from storage, from the source its label names (cgroup: the blkio/io controller; process_io: its processes' /proc/PID/io, exited ones included).", sl, io.ReadBytes);
            m.Add("strata_container_io_write_bytes_total", "counter", "Bytes the container wrote to storage, from the source its label names.", sl, io.WriteBytes);
            m.Add("strata_container_io_reads_total", "counter", "Read operations (cgroup) or read system calls (process_io) of the container.", sl, io.ReadOperations);
            m.Add("strata_container_io_writes_total", "counter", "Write operations (cgroup) or write system calls (process_io) of the container.", sl, io.WriteOperations);
            ProcessIo p = io.Processes;
            m.Add("strata_container_process_io_read_chars_total", "counter", "Bytes the container's processes read through read-like system calls (/proc/PID/io rchar), exited processes included.", labels, p.ReadChars);
            m.Add("strata_container_process_io_write_chars_total", "counter", "Bytes the container's processes wrote through write-like system calls (wchar).", labels, p.WriteChars);
            m.Add("strata_container_process_io_read_bytes_total", "counter", "Bytes the container's processes caused to be fetched from storage (read_bytes).", labels, p.ReadBytes);
            m.Add("strata_container_process_io_write_bytes_total", "counter", "Bytes the container's processes caused to be sent to storage (write_bytes).", labels, p.WriteBytes);
            m.Add("strata_container_process_io_cancelled_write_bytes_total", "counter", "Bytes whose writeback the container's processes cancelled by truncating dirty pages (cancelled_write_bytes).", labels, p.CancelledWriteBytes);
        }

        if (s.Pressure is { } psi)
        {
            AddPressure(m, "cpu", psi.Cpu, labels);
            AddPressure(m, "memory", psi.Memory, labels);
            AddPressure(m, "io", psi.Io, labels);
        }

        m.Add("container_processes", "gauge", "Number of processes running inside the container.", labels, s.Tasks.Processes);
        m.Add("container_threads", "gauge", "Number of threads running inside the container", labels, s.Tasks.Threads);
        m.Add("container_file_descriptors", "gauge", "Number of open file descriptors for the container.", labels, s.Tasks.FileDescriptors);
        if (s.Tasks.PidsLimit is { } pidsLimit)
            m.Add("container_threads_max", "gauge", "Maximum number of threads allowed inside the container, infinity if value is zero", labels, pidsLimit);

        m.Add("strata_container_tasks", "gauge", "The container's tasks counted by the load average: runnable (R) and uninterruptible (D).", [.. labels, "state", "runnable"], s.Load.Runnable);
        m.Add("strata_container_tasks", "gauge", "The container's tasks counted by the load average: runnable (R) and uninterruptible (D).", [.. labels, "state", "uninterruptible"], s.Load.Uninterruptible);
        const string loadHelp = "The container's load average: its runnable plus uninterruptible tasks, smoothed as the kernel smooths /proc/loadavg.";
        m.Add("strata_container_load_average", "gauge", loadHelp, [.. labels, "window", "1m"], s.Load.Load1);
        m.Add("strata_container_load_average", "gauge", loadHelp, [.. labels, "window", "5m"], s.Load.Load5);
        m.Add("strata_container_load_average", "gauge", loadHelp, [.. labels, "window", "15m"], s.Load.Load15);

        foreach (DiskUsage disk in c.Disks ?? [])
        {
            string[] l = [.. labels, "device", disk.Device is { Length: > 0 } device ? device : "unknown"];
            m.Add("container_fs_usage_bytes", "gauge", "Number of bytes that are consumed by the container on this filesystem.", l, disk.UsedBytes);
            m.Add("container_fs_limit_bytes", "gauge", "Number of bytes that can be consumed by the container on this filesystem.", l, disk.FilesystemBytes);
            // cAdvisor's name, though a gauge ending in _total is a promtool lint finding: dashboards query it by this name.
            m.Add("container_fs_inodes_total", "gauge", "Number of Inodes", l, disk.FilesystemInodes);
            m.Add("container_fs_inodes_free", "gauge", "Number of available Inodes", l, disk.FilesystemFreeInodes);
            m.Add("strata_container_fs_inodes_used", "gauge", "Files, directories and links of the container's writable layer and volumes on this filesystem.", l, disk.UsedInodes);
        }
    }

    /// <summary>cAdvisor's PSI names: "waiting" is the some line, "stalled" the full one, in seconds.</summary>
    private static void AddPressure(Families m, string resource, Pressure? p, string[] labels)
    {
        if (p is null)
            return;
        m.Add($"container_pressure_{resource}_waiting_seconds_total", "counter", $"Total time duration tasks in the container have waited due to {resource} congestion.", labels, p.Some.TotalMicroseconds / 1e6);
        if (p.Full is { } full)
            m.Add($"container_pressure_{resource}_stalled_seconds_total", "counter", $"Total time duration no tasks in the container could make progress due to {resource} congestion.", labels, full.TotalMicroseconds / 1e6);
    }

    private static void AddHost(Families m, HostSample h)
    {
        m.Add("machine_cpu_cores", "gauge", "Number of logical CPU cores.", [], h.Cpus);
        if (h.Memory.TryGetValue("MemTotal", out ulong total))
            m.Add("machine_memory_bytes", "gauge", "Amount of memory installed on the machine.", [], total);
        foreach (var (mode, seconds) in h.CpuSeconds)
            m.Add("strata_node_cpu_seconds_total", "counter", "Seconds the node's CPUs spent in each mode (/proc/stat).", ["mode", mode], seconds);
        foreach (string key in (string[])["MemAvailable", "MemFree", "Buffers", "Cached", "SwapTotal", "SwapFree"])
        {
            if (h.Memory.TryGetValue(key, out ulong v))
                m.Add("strata_node_memory_bytes", "gauge", "The node's memory by /proc/meminfo field, in bytes.", ["field", key], v);
        }
        m.Add("strata_node_load_average", "gauge", "The node's load average (/proc/loadavg).", ["window", "1m"], h.Load1);
        m.Add("strata_node_load_average", "gauge", "The node's load average (/proc/loadavg).", ["window", "5m"], h.Load5);
        m.Add("strata_node_load_average", "gauge", "The node's load average (/proc/loadavg).", ["window", "15m"], h.Load15);
        foreach (InterfaceCounters i in h.Networks)
        {
            m.Add("strata_node_network_receive_bytes_total", "counter", "Bytes the node's interface received.", ["interface", i.Name], i.RxBytes);
            m.Add("strata_node_network_transmit_bytes_total", "counter", "Bytes the node's interface transmitted.", ["interface", i.Name], i.TxBytes);
        }
    }

    /// <summary>The kernel's name of a block device ("/dev/vda"), from sysfs; "MAJ:MIN" when it has none.</summary>
    public static string BlockDeviceName(uint major, uint minor)
    {
        string devno = $"{major.ToString(CultureInfo.InvariantCulture)}:{minor.ToString(CultureInfo.InvariantCulture)}";
        string? uevent = ProcFiles.TryRead($"/sys/dev/block/{devno}/uevent");
        foreach (string line in (uevent ?? "").Split('\n'))
        {
            if (line.StartsWith("DEVNAME=", StringComparison.Ordinal))
                return "/dev/" + line["DEVNAME=".Length..];
        }
        return devno;
    }

    /// <summary>Metric families in first-seen order, each with its series.</summary>
    private sealed class Families
    {
        private readonly Dictionary<string, (string Type, string Help, StringBuilder Series)> _byName = new(StringComparer.Ordinal);
        private readonly List<string> _order = [];

        /// <param name="labels">Name, value, name, value…</param>
        public void Add(string name, string type, string help, string[] labels, double value)
        {
            if (!_byName.TryGetValue(name, out var family))
            {
                family = (type, help, new StringBuilder());
                _byName[name] = family;
                _order.Add(name);
            }
            StringBuilder sb = family.Series;
            sb.Append(name);
            if (labels.Length > 0)
            {
                sb.Append('{');
                for (int i = 0; i + 1 < labels.Length; i += 2)
                {
                    if (i > 0)
                        sb.Append(',');
                    sb.Append(labels[i]).Append("=\"");
                    AppendEscaped(sb, labels[i + 1]);
                    sb.Append('"');
                }
                sb.Append('}');
            }
            sb.Append(' ').Append(Format(value)).Append('\n');
        }

        public override string ToString()
        {
            var sb = new StringBuilder();
            foreach (string name in _order)
            {
                var (type, help, series) = _byName[name];
                sb.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
                sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
                sb.Append(series);
            }
            return sb.ToString();
        }

        /// <summary>Label values escape backslash, double quote and line feed (exposition formats, "Text format details").</summary>
        private static void AppendEscaped(StringBuilder sb, string value)
        {
            foreach (char ch in value)
            {
                switch (ch)
                {
                    case '\\': sb.Append("\\\\"); break;
                    case '"': sb.Append("\\\""); break;
                    case '\n': sb.Append("\\n"); break;
                    default: sb.Append(ch); break;
                }
            }
        }

        private static string Format(double v) =>
            double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);
    }
}
