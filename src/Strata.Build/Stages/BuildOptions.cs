using System.Runtime.InteropServices;

namespace Strata.Build.Stages;

/// <summary>An OCI platform (os/architecture[/variant]), as --platform and the platform ARGs write it.</summary>
public sealed record BuildPlatform(string Os, string Architecture, string? Variant = null)
{
    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    /// <summary>The platform of this machine, with Go's architecture names (GOARCH).</summary>
    public static BuildPlatform Host { get; } = new("linux", RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        System.Runtime.InteropServices.Architecture.RiscV64 => "riscv64",
        System.Runtime.InteropServices.Architecture.LoongArch64 => "loong64",
        var other => other.ToString().ToLowerInvariant(),
    });

    /// <summary>Parses "linux/amd64" or "linux/arm/v7".</summary>
    public static BuildPlatform Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Split('/');
        return parts.Length switch
        {
            2 when parts.All(p => p.Length > 0) => new BuildPlatform(parts[0], parts[1]),
            3 when parts.All(p => p.Length > 0) => new BuildPlatform(parts[0], parts[1], parts[2]),
            _ => throw new ArgumentException($"invalid platform \"{value}\": expected os/architecture[/variant]", nameof(value)),
        };
    }
}

/// <summary>What a build is asked for: --build-arg values, --target, and the build and target platforms.</summary>
public sealed record BuildOptions
{
    /// <summary>--build-arg NAME=VALUE; they override the defaults of the ARGs that declare them.</summary>
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>--target: the stage to build, by name; null builds the last stage.</summary>
    public string? Target { get; init; }

    public BuildPlatform BuildPlatform { get; init; } = BuildPlatform.Host;

    public BuildPlatform TargetPlatform { get; init; } = BuildPlatform.Host;

    /// <summary>
    /// The ARGs every build has without declaring them (Dockerfile reference, "Predefined ARGs"): the proxy
    /// variables, passed to RUN when given but kept out of the image's history and config.
    /// </summary>
    public static IReadOnlyList<string> PredefinedArgs { get; } =
    [
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy",
        "ALL_PROXY", "all_proxy",
    ];

    /// <summary>
    /// The platform ARGs (Dockerfile reference, "Automatic platform ARGs in the global scope"): set in the global
    /// scope; a stage sees one only after declaring it with ARG.
    /// </summary>
    public IReadOnlyDictionary<string, string> PlatformArgs() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["BUILDPLATFORM"] = BuildPlatform.ToString(),
        ["BUILDOS"] = BuildPlatform.Os,
        ["BUILDARCH"] = BuildPlatform.Architecture,
        ["BUILDVARIANT"] = BuildPlatform.Variant ?? "",
        ["TARGETPLATFORM"] = TargetPlatform.ToString(),
        ["TARGETOS"] = TargetPlatform.Os,
        ["TARGETARCH"] = TargetPlatform.Architecture,
        ["TARGETVARIANT"] = TargetPlatform.Variant ?? "",
    };
}
