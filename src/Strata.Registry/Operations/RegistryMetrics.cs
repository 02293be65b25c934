using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Strata.Registry.Operations;

/// <summary>
/// Request counts, latency histograms and bytes moved, written in the Prometheus text exposition format
/// (prometheus.io/docs/instrumenting/exposition_formats). Hand-written because the set is small and fixed,
/// and it keeps the library free of a metrics dependency.
/// </summary>
public sealed class RegistryMetrics
{
    private static readonly double[] Buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly ConcurrentDictionary<(string Method, string Route, int Status), long> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new(StringComparer.Ordinal);
    private long _bytesReceived;
    private long _bytesSent;

    public void RecordRequest(string method, string route, int status, TimeSpan elapsed)
    {
        _requests.AddOrUpdate((method, route, status), 1, (_, n) => n + 1);
        _latency.GetOrAdd(route, _ => new Histogram()).Observe(elapsed.TotalSeconds);
    }

    public void AddBytesReceived(long count) => Interlocked.Add(ref _bytesReceived, count);

    public void AddBytesSent(long count) => Interlocked.Add(ref _bytesSent, count);

    public string Render()
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append("# HELP strata_registry_http_requests_total HTTP requests by method, route and status.\n");
        sb.Append("# TYPE strata_registry_http_requests_total counter\n");
        foreach (var ((method, route, status), count) in _requests.OrderBy(e => e.Key.Route, StringComparer.Ordinal).ThenBy(e => e.Key.Method, StringComparer.Ordinal).ThenBy(e => e.Key.Status))
        {
            sb.Append(inv, $"strata_registry_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}\n");
        }
        sb.Append("# HELP strata_registry_http_request_duration_seconds HTTP request latency by route.\n");
        sb.Append("# TYPE strata_registry_http_request_duration_seconds histogram\n");
        foreach (var (route, h) in _latency.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            h.Render(sb, "strata_registry_http_request_duration_seconds", route);
        }
        sb.Append("# HELP strata_registry_bytes_received_total Blob bytes received in uploads.\n");
        sb.Append("# TYPE strata_registry_bytes_received_total counter\n");
        sb.Append(inv, $"strata_registry_bytes_received_total {Interlocked.Read(ref _bytesReceived)}\n");
        sb.Append("# HELP strata_registry_bytes_sent_total Blob and manifest bytes sent.\n");
        sb.Append("# TYPE strata_registry_bytes_sent_total counter\n");
        sb.Append(inv, $"strata_registry_bytes_sent_total {Interlocked.Read(ref _bytesSent)}\n");
        return sb.ToString();
    }

    private sealed class Histogram
    {
        private readonly long[] _counts = new long[Buckets.Length];
        private long _total;
        private long _sumMicros;

        public void Observe(double seconds)
        {
            for (var i = 0; i < Buckets.Length; i++)
            {
                if (seconds <= Buckets[i])
                {
                    Interlocked.Increment(ref _counts[i]);
                }
            }
            Interlocked.Increment(ref _total);
            Interlocked.Add(ref _sumMicros, (long)(seconds * 1e6));
        }

        public void Render(StringBuilder sb, string name, string route)
        {
            var inv = CultureInfo.InvariantCulture;
            for (var i = 0; i < Buckets.Length; i++)
            {
                sb.Append(inv, $"{name}_bucket{{route=\"{route}\",le=\"{Buckets[i]}\"}} {Interlocked.Read(ref _counts[i])}\n");
            }
            var total = Interlocked.Read(ref _total);
            sb.Append(inv, $"{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {total}\n");
            sb.Append(inv, $"{name}_sum{{route=\"{route}\"}} {Interlocked.Read(ref _sumMicros) / 1e6}\n");
            sb.Append(inv, $"{name}_count{{route=\"{route}\"}} {total}\n");
        }
    }
}
