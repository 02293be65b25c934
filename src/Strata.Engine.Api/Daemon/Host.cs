using System.Globalization;
using System.Runtime.InteropServices;

namespace Strata.Engine.Api.Daemon;

/// <summary>What /version and /info say of the machine, read from /proc and /etc/os-release.</summary>
internal static class Host
{
    public static string KernelVersion { get; } = ReadOr("/proc/sys/kernel/osrelease", "");

    /// <summary>uname's machine, as dockerd reports Architecture ("x86_64", not Go's "amd64").</summary>
    public static string Machine { get; } = RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        Architecture.Arm => "armv7l",
        var other => other.ToString().ToLowerInvariant(),
    };

    public static string OperatingSystem { get; } = OsRelease("PRETTY_NAME") ?? "Linux";

    public static string OsVersion { get; } = OsRelease("VERSION_ID") ?? "";

    public static long MemTotal { get; } = ReadMemTotal();

    private static string ReadOr(string path, string fallback)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return fallback;
        }
    }

    private static string? OsRelease(string key)
    {
        foreach (var path in new[] { "/etc/os-release", "/usr/lib/os-release" })
        {
            if (!File.Exists(path))
            {
                continue;
            }
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith(key + "=", StringComparison.Ordinal))
                {
                    return line[(key.Length + 1)..].Trim('"');
                }
            }
        }
        return null;
    }

    private static long ReadMemTotal()
    {
        foreach (var line in ReadOr("/proc/meminfo", "").Split('\n'))
        {
            // "MemTotal:       16318256 kB"
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal)
                && long.TryParse(line["MemTotal:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var kb))
            {
                return kb * 1024;
            }
        }
        return 0;
    }
}
