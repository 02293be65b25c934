using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Strata.Engine.Networking;
using Strata.Linux;

namespace Strata.Engine.Tests.Networking;

/// <summary>
/// A network service over a temporary root with a bridge name and subnets of its own (10.150.N.0/24 and
/// 10.151.N.0/24, never docker's or podman's), so tests run side by side. Disposing releases every
/// attachment (DEL, namespaces), removes its networks and bridges, whatever the test left. As root the
/// service does its networking in a network namespace of its own (<see cref="HostNamespace"/>, loopback
/// up and an interface with <see cref="HostAddress"/> as a host's address), so the bridge plugin's
/// net.ipv4.ip_forward=1, the bridges and the iptables rules are that namespace's, never the machine's.
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
        HostAddress = IPAddress.Parse($"10.153.{n}.1");
        if (IsRoot)
        {
            HostNamespace = Path.Combine(_dir.Path, "hostns");
            NetworkNamespace.Create(HostNamespace);
            foreach (var command in new[]
            {
                "ip link set lo up",
                // A veth pair stands for the host's NIC (no dummy driver everywhere).
                "ip link add host0 type veth peer name host1",
                "ip link set host1 up",
                $"ip addr add {HostAddress}/24 dev host0",
                "ip link set host0 up",
            })
            {
                var (code, output) = InNamespaceAsync(HostNamespace, command.Split(' ')).GetAwaiter().GetResult();
                if (code != 0)
                {
                    throw new InvalidOperationException(command + ": " + output);
                }
            }
        }
        Service = NewService();
    }

    /// <summary>A service over this fixture's root, subnets and namespace (a second one is the daemon after a restart).</summary>
    public NetworkService NewService() => new(new NetworkServiceOptions
    {
        Root = _dir.Path,
        BridgeSubnet = $"10.150.{UserSubnet.Split('.')[2]}.0/24",
        BridgeInterface = DefaultBridge,
        AddressPool = $"10.152.{UserSubnet.Split('.')[2]}.0/24",
        HostNamespace = HostNamespace,
    });

    /// <summary>The service's own network namespace (root only; null otherwise).</summary>
    public string? HostNamespace { get; }

    /// <summary>An address of the service's namespace besides loopback (its "host address").</summary>
    public IPAddress HostAddress { get; }

    /// <summary>A command in the service's namespace (a client on the "host").</summary>
    public Task<(int Code, string Output)> InHostAsync(params string[] command) =>
        HostNamespace is { } ns ? InNamespaceAsync(ns, command) : RunAsync(command[0], command[1..]);

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

    public async Task<string> IptablesAsync() => (await InHostAsync("iptables-save")).Output;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Service.ReconcileAsync(_ => false);
            foreach (var network in Service.List().Where(n => n.Driver == "bridge"))
            {
                if (network.Predefined)
                {
                    await InHostAsync("ip", "link", "delete", network.Bridge);
                }
            }
            await Service.PruneAsync();
        }
        finally
        {
            await Service.DisposeAsync();
            if (HostNamespace is not null)
            {
                NetworkNamespace.Remove(HostNamespace);
            }
            _dir.Dispose();
        }
    }
}
