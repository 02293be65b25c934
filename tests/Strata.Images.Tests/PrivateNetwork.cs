using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Strata.Images.Tests;

/// <summary>
/// The strata commands these tests start run the engine in-process (linked into Strata.Integration too). As root, their containers' networking (the
/// bridge plugin's net.ipv4.ip_forward=1, a bridge, iptables rules) goes into a network namespace of this test
/// run, named by STRATA_NETNS, which every child process inherits; never into the machine's.
/// </summary>
internal static class PrivateNetwork
{
#pragma warning disable CA2255 // A test assembly: the namespace must exist before any test starts a strata process.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Enter()
    {
        if (Strata.Linux.Sys.EffectiveUserId != 0 || Environment.GetEnvironmentVariable("STRATA_NETNS") is not null)
        {
            return;
        }
        var dir = Directory.CreateTempSubdirectory("strata-images-tests-netns.").FullName;
        var path = Path.Combine(dir, "netns");
        Strata.Linux.NetworkNamespace.Create(path);
        using (var up = Process.Start("nsenter", ["--net=" + path, "--", "ip", "link", "set", "lo", "up"]))
        {
            up.WaitForExit();
        }
        Environment.SetEnvironmentVariable("STRATA_NETNS", path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Strata.Linux.NetworkNamespace.Remove(path);
            Directory.Delete(dir, recursive: true);
        };
    }
}
