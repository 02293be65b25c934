using System.Runtime.InteropServices;
using System.Text.Json;

namespace Strata.Oci.Runtime;

/// <summary>
/// The seccomp profile container engines apply by default, as an OCI linux.seccomp for one container: it
/// blocks the calls that reach beyond the container (kernel modules, kexec, clock setting, mount without
/// CAP_SYS_ADMIN...) and answers calls it does not know with ENOSYS, so programs fall back as on an older
/// kernel. `runc spec` and <see cref="DefaultSpec"/> add no seccomp profile; engines do.
/// </summary>
/// <remarks>
/// The profile is containers-common's seccomp.json (github.com/containers/common pkg/seccomp/seccomp.json,
/// as shipped by Debian's golang-github-containers-common 0.50.1, Apache-2.0), the one podman and CRI-O
/// apply; it descends from moby's profiles/seccomp/default.json. It is embedded byte for byte
/// (DefaultSeccomp.json) so it can be diffed with upstream; includes/excludes select entries by
/// architecture and capability (see <see cref="For"/>).
/// </remarks>
public static class DefaultSeccomp
{
    private const string ResourceName = "Strata.Oci.Runtime.DefaultSeccomp.json";

    /// <summary>The embedded profile's bytes, as upstream ships them.</summary>
    internal static byte[] ProfileJson { get; } = ReadProfile();

    /// <summary>The profile for a container with the engines' default capabilities on this machine.</summary>
    public static LinuxSeccomp Profile => For(DefaultSpec.EngineCapabilities);

    /// <summary>
    /// The profile for a container whose bounding set is <paramref name="capabilities"/>: a call that needs a
    /// capability is allowed when the container has it (moby's rule), on this machine's architecture and the
    /// 32-bit ABIs it can also run.
    /// </summary>
    public static LinuxSeccomp For(IEnumerable<string> capabilities, Architecture? architecture = null)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        var caps = capabilities.ToHashSet(StringComparer.Ordinal);
        var arch = architecture ?? RuntimeInformation.OSArchitecture;
        var (goArch, scmpArch) = Names(arch);

        using var doc = JsonDocument.Parse(ProfileJson);
        var root = doc.RootElement;
        var profile = new LinuxSeccomp
        {
            DefaultAction = root.GetProperty("defaultAction").GetString()!,
            DefaultErrnoRet = root.TryGetProperty("defaultErrnoRet", out var errno) ? errno.GetUInt32() : null,
            Syscalls = [],
        };
        foreach (var entry in root.GetProperty("archMap").EnumerateArray())
        {
            if (entry.GetProperty("architecture").GetString() == scmpArch)
                profile.Architectures = [scmpArch!, .. Strings(entry.GetProperty("subArchitectures"))];
        }
        foreach (var call in root.GetProperty("syscalls").EnumerateArray())
        {
            if (!Applies(call, "includes", goArch, caps, included: true) || !Applies(call, "excludes", goArch, caps, included: false))
                continue;
            var syscall = new LinuxSyscall
            {
                Names = Strings(call.GetProperty("names")),
                Action = call.GetProperty("action").GetString()!,
                ErrnoRet = call.TryGetProperty("errnoRet", out var ret) ? ret.GetUInt32() : null,
            };
            if (call.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Array && args.GetArrayLength() > 0)
            {
                syscall.Args = [.. args.EnumerateArray().Select(a => new LinuxSeccompArg
                {
                    Index = a.GetProperty("index").GetUInt32(),
                    Value = a.GetProperty("value").GetUInt64(),
                    ValueTwo = a.TryGetProperty("valueTwo", out var two) ? two.GetUInt64() : 0,
                    Op = a.GetProperty("op").GetString()!,
                })];
            }
            profile.Syscalls.Add(syscall);
        }
        return profile;
    }

    /// <summary>
    /// includes: the machine's architecture is among those listed and every listed capability is held;
    /// excludes: the entry is dropped if the machine's architecture or any held capability is listed.
    /// </summary>
    private static bool Applies(JsonElement call, string property, string? goArch, HashSet<string> caps, bool included)
    {
        if (!call.TryGetProperty(property, out var filter) || filter.ValueKind != JsonValueKind.Object)
            return true;
        foreach (var condition in filter.EnumerateObject())
        {
            var values = Strings(condition.Value);
            if (values.Count == 0)
                continue;
            switch (condition.Name)
            {
                case "arches":
                    if (included != (goArch is not null && values.Contains(goArch)))
                        return false;
                    break;
                case "caps":
                    if (included ? !values.All(caps.Contains) : values.Any(caps.Contains))
                        return false;
                    break;
                default:
                    throw new InvalidOperationException($"default seccomp profile: unsupported {property}.{condition.Name}");
            }
        }
        return true;
    }

    private static List<string> Strings(JsonElement array) =>
        array.ValueKind == JsonValueKind.Array ? [.. array.EnumerateArray().Select(e => e.GetString()!)] : [];

    /// <summary>An architecture as Go's GOARCH (the profile's includes) and as SCMP_ARCH_* (its archMap).</summary>
    private static (string? GoArch, string? ScmpArch) Names(Architecture arch) => arch switch
    {
        Architecture.X64 => ("amd64", "SCMP_ARCH_X86_64"),
        Architecture.X86 => ("386", "SCMP_ARCH_X86"),
        Architecture.Arm64 => ("arm64", "SCMP_ARCH_AARCH64"),
        Architecture.Arm or Architecture.Armv6 => ("arm", "SCMP_ARCH_ARM"),
        Architecture.S390x => ("s390x", "SCMP_ARCH_S390X"),
        Architecture.Ppc64le => ("ppc64le", "SCMP_ARCH_PPC64LE"),
        Architecture.RiscV64 => ("riscv64", "SCMP_ARCH_RISCV64"),
        Architecture.LoongArch64 => ("loong64", "SCMP_ARCH_LOONGARCH64"),
        _ => (null, null),
    };

    private static byte[] ReadProfile()
    {
        using var stream = typeof(DefaultSeccomp).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the default seccomp profile ({ResourceName}) is not embedded in {typeof(DefaultSeccomp).Assembly.GetName().Name}");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
