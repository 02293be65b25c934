using System.Text.Json;

namespace Strata.Runtime.State;

/// <summary>What the runtime persists about a container in ROOT/ID/state.json.</summary>
public sealed class ContainerRecord
{
    public string Id { get; set; } = "";
    public string Bundle { get; set; } = "";
    public string Rootfs { get; set; } = "";
    /// <summary>The container's init in the runtime's pid namespace; 0 until the init exists.</summary>
    public int InitPid { get; set; }
    /// <summary>Field 22 of /proc/PID/stat when the init started: a pid with another start time is another process.</summary>
    public ulong InitStartTime { get; set; }
    public DateTimeOffset Created { get; set; }
    public string Owner { get; set; } = "";
    public string CgroupsPath { get; set; } = "";
    public Dictionary<string, string> CgroupPaths { get; set; } = [];
    /// <summary>True when the container has its own pid namespace: killing its init kills everything.</summary>
    public bool OwnPidNamespace { get; set; }
    /// <summary>
    /// For a container that shares the runtime's mount namespace, how many mounts were stacked on the rootfs before
    /// create bound it onto itself: delete detaches those above (RuntimeNamespaceMounts). -1 when the container has a
    /// mount namespace, its own or a joined one, and so left no mounts in the runtime's.
    /// </summary>
    public int RootfsMountsBefore { get; set; } = -1;
    /// <summary>config.json's annotations, reported by state. The whole config is not kept: serializing it
    /// on every create costs more than the rest of the state together.</summary>
    public Dictionary<string, string>? Annotations { get; set; }

    // Written and read by hand rather than through JsonSerializer: the runtime starts once per container
    // operation, and serializer metadata costs more start-up time than the whole state file is worth.
    public byte[] ToJson() => Json.Object(w =>
    {
        w.WriteString("id", Id);
        w.WriteString("bundle", Bundle);
        w.WriteString("rootfs", Rootfs);
        w.WriteNumber("initPid", InitPid);
        w.WriteNumber("initStartTime", InitStartTime);
        w.WriteString("created", Created);
        w.WriteString("owner", Owner);
        w.WriteString("cgroupsPath", CgroupsPath);
        Json.WriteMap(w, "cgroupPaths", CgroupPaths);
        w.WriteBoolean("ownPidNamespace", OwnPidNamespace);
        if (RootfsMountsBefore >= 0)
            w.WriteNumber("rootfsMountsBefore", RootfsMountsBefore);
        Json.WriteMap(w, "annotations", Annotations);
    });

    public static ContainerRecord FromJson(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        return new ContainerRecord
        {
            Id = e.GetProperty("id").GetString() ?? "",
            Bundle = e.GetProperty("bundle").GetString() ?? "",
            Rootfs = e.GetProperty("rootfs").GetString() ?? "",
            InitPid = e.GetProperty("initPid").GetInt32(),
            InitStartTime = e.GetProperty("initStartTime").GetUInt64(),
            Created = e.GetProperty("created").GetDateTimeOffset(),
            Owner = e.GetProperty("owner").GetString() ?? "",
            CgroupsPath = e.GetProperty("cgroupsPath").GetString() ?? "",
            CgroupPaths = Json.ReadMap(e, "cgroupPaths") ?? [],
            OwnPidNamespace = e.GetProperty("ownPidNamespace").GetBoolean(),
            RootfsMountsBefore = e.TryGetProperty("rootfsMountsBefore", out var before) ? before.GetInt32() : -1,
            Annotations = Json.ReadMap(e, "annotations"),
        };
    }
}

internal static class Json
{
    /// <summary>One JSON document written by <paramref name="body"/>, as UTF-8 bytes.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> body, JsonWriterOptions options = default)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, options))
            body(w);
        return buffer.ToArray();
    }

    /// <summary>A JSON object whose properties <paramref name="body"/> writes.</summary>
    public static byte[] Object(Action<Utf8JsonWriter> body, JsonWriterOptions options = default) => Write(w =>
    {
        w.WriteStartObject();
        body(w);
        w.WriteEndObject();
    }, options);

    public static void WriteMap(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string>? map)
    {
        if (map is null)
            return;
        w.WriteStartObject(name);
        foreach (var (k, v) in map)
            w.WriteString(k, v);
        w.WriteEndObject();
    }

    public static Dictionary<string, string>? ReadMap(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var m) || m.ValueKind != JsonValueKind.Object)
            return null;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in m.EnumerateObject())
            map[p.Name] = p.Value.GetString() ?? "";
        return map;
    }

    public static void WriteList(Utf8JsonWriter w, string name, IEnumerable<string> items)
    {
        w.WriteStartArray(name);
        foreach (var i in items)
            w.WriteStringValue(i);
        w.WriteEndArray();
    }
}
