using System.Diagnostics;
using System.Security.Cryptography;
using Strata.Engine.Networking;

namespace Strata.Engine.Tests.Networking;

/// <summary>
/// A network service over a temporary root with a bridge name and subnets of its own (10.150.N.0/24 and
/// 10.151.N.0/24, never docker's or podman's), so tests run side by side. Disposing releases every
/// attachment (DEL, namespaces), removes its networks and bridges, whatever the test left.
/// </summary>
public sealed class NetworkFixture : IAsyncDisposable
{
    private readonly TempDir _dir = new();

    public NetworkFixture()
    {
        var n = RandomNumberGenerator.GetInt32(0, 256);
        Tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        DefaultBridge = "stb" + Tag;
        UserSubnet = $"10.151.{n}.0/24";
        Service = new NetworkService(new NetworkServiceOptions
        {
            Root = _dir.Path,
            BridgeSubnet = $"10.150.{n}.0/24",
            BridgeInterface = DefaultBridge,
            AddressPool = $"10.152.{n}.0/24",
        });
    }

    public string Tag { get; }
    public string DefaultBridge { get; }
    public string UserSubnet { get; }
    public NetworkService Service { get; }
    public string Root => _dir.Path;

    public static bool IsRoot => Environment.UserName == "root" || Strata.Linux.Sys.EffectiveUserId == 0;

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>Runs a program; returns its exit code and stdout+stderr.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>A command inside a network namespace (nsenter(1)).</summary>
    public static Task<(int Code, string Output)> InNamespaceAsync(string ns, params string[] command) =>
        RunAsync("nsenter", ["--net=" + ns, "--", .. command]);

    public static async Task<string> IptablesAsync() => (await RunAsync("iptables-save")).Output;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Service.ReconcileAsync(_ => false);
            foreach (var network in Service.List().Where(n => n.Driver == "bridge"))
            {
                if (network.Predefined)
                {
                    await RunAsync("ip", "link", "delete", network.Bridge);
                }
            }
            await Service.PruneAsync();
        }
        finally
        {
            await Service.DisposeAsync();
            _dir.Dispose();
        }
    }
}
