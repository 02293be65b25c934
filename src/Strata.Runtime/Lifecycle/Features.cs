using System.Text.Json;
using Strata.Cgroups;
using Strata.Linux;
using Strata.Oci.Runtime;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// `features`: what this runtime implements, in the runtime-spec's features.md document, so engines can
/// ask instead of guessing (containerd and podman read it as they read `runc features`).
/// </summary>
public static class Features
{
    public static readonly IReadOnlyList<string> Hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];

    public static readonly IReadOnlyList<string> MountOptions =
    [
        "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "lazytime", "loud", "mand",
        "noatime", "nodev", "nodiratime", "noexec", "nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid",
        "nosymfollow", "private", "rbind", "relatime", "remount", "ro", "rprivate", "rshared", "rslave",
        "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid", "sync", "unbindable",
    ];

    /// <summary>Namespaces this build can create or join.</summary>
    public static readonly IReadOnlyList<string> Namespaces = ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"];

    public static string Json(CgroupMode mode) => System.Text.Encoding.UTF8.GetString(State.Json.Object(w =>
    {
        w.WriteString("ociVersionMin", "1.0.0");
        w.WriteString("ociVersionMax", SpecVersion.Current);
        State.Json.WriteList(w, "hooks", Hooks);
        State.Json.WriteList(w, "mountOptions", MountOptions);
        w.WriteStartObject("linux");
        State.Json.WriteList(w, "namespaces", Namespaces);
        State.Json.WriteList(w, "capabilities", Capabilities.All.Take(Capabilities.LastCapability + 1));
        w.WriteStartObject("cgroup");
        w.WriteBoolean("v1", true);
        w.WriteBoolean("v2", true);
        w.WriteBoolean("systemd", false);
        w.WriteBoolean("systemdUser", false);
        w.WriteBoolean("rdma", true);
        w.WriteEndObject();
        w.WriteStartObject("apparmor");
        w.WriteBoolean("enabled", false);
        w.WriteEndObject();
        w.WriteStartObject("selinux");
        w.WriteBoolean("enabled", false);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartObject("annotations");
        w.WriteString("org.strata.runtime.version", Version);
        w.WriteString("org.strata.cgroup.mode", mode.ToString().ToLowerInvariant());
        w.WriteEndObject();
    }, new JsonWriterOptions { Indented = true }));

    public const string Version = "0.1.0";
}
