using System.Text;
using Strata.Oci.Runtime;

namespace Strata.Runtime.State;

/// <summary>The OCI state a hook reads on stdin (runtime.md, "State").</summary>
public sealed record OciStateView(string Id, ContainerStatus Status, int Pid, string Bundle, IReadOnlyDictionary<string, string>? Annotations)
{
    public byte[] ToJson() => Json.Object(w =>
    {
        w.WriteString("ociVersion", SpecVersion.Current);
        w.WriteString("id", Id);
        w.WriteString("status", Status.ToOciString());
        if (Pid > 0)
            w.WriteNumber("pid", Pid);
        w.WriteString("bundle", Bundle);
        Json.WriteMap(w, "annotations", Annotations);
    });

    public override string ToString() => Encoding.UTF8.GetString(ToJson());
}
