using System.Text.Json;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// What `state` and `list --format json` print: the OCI state plus runc's extra fields (rootfs, created,
/// owner), with the same names, so tools parsing runc's output parse Strata's.
/// </summary>
public sealed class ContainerView
{
    public string OciVersion { get; set; } = Oci.Runtime.SpecVersion.Current;
    public string Id { get; set; } = "";
    public int Pid { get; set; }
    public ContainerStatus Status { get; set; }
    public string Bundle { get; set; } = "";
    public string Rootfs { get; set; } = "";
    public DateTime Created { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public string Owner { get; set; } = "";
}

/// <summary>The JSON `state` and `list --format json` print, written by hand (see ContainerRecord.ToJson).</summary>
public static class ViewJson
{
    public static string Write(ContainerView view) => Build(w => WriteOne(w, view), indented: true);

    public static string Write(IEnumerable<ContainerView> views) => Build(w =>
    {
        w.WriteStartArray();
        foreach (var v in views)
            WriteOne(w, v);
        w.WriteEndArray();
    }, indented: false);

    public static string Write(IEnumerable<int> pids) => Build(w =>
    {
        w.WriteStartArray();
        foreach (var p in pids)
            w.WriteNumberValue(p);
        w.WriteEndArray();
    }, indented: false);

    private static void WriteOne(Utf8JsonWriter w, ContainerView v)
    {
        w.WriteStartObject();
        w.WriteString("ociVersion", v.OciVersion);
        w.WriteString("id", v.Id);
        w.WriteNumber("pid", v.Pid);
        w.WriteString("status", v.Status.ToOciString());
        w.WriteString("bundle", v.Bundle);
        w.WriteString("rootfs", v.Rootfs);
        w.WriteString("created", v.Created);
        State.Json.WriteMap(w, "annotations", v.Annotations);
        w.WriteString("owner", v.Owner);
        w.WriteEndObject();
    }

    private static string Build(Action<Utf8JsonWriter> body, bool indented) =>
        System.Text.Encoding.UTF8.GetString(State.Json.Write(body, new JsonWriterOptions { Indented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
}
