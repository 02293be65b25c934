using System.Net.Sockets;
using Strata.Integration.Runtime;

namespace Strata.Integration.Interop;

/// <summary>
/// podman (conmon and netavark included) driving strata-runtime through `--runtime`: the "run with any
/// runtime" promise, shown with the engine users already have. Each test uses a private podman store and
/// leaves the host's firewall and ip_forward setting as it found them.
/// </summary>
public sealed class PodmanTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-podman-").FullName;
    private readonly string _iptablesBefore;
    private readonly string _forwardBefore = File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim();
    private readonly bool _bridgeBefore = Directory.Exists("/sys/class/net/" + Bridge);
    /// <summary>The bridge podman's CNI network creates on first use and leaves behind.</summary>
    private const string Bridge = "cni-podman0";
    private readonly bool _libpodParentBefore;

    /// <summary>The cgroup podman's cgroupfs manager puts containers and conmon under, in every hierarchy.</summary>
    private static IEnumerable<string> LibpodParents() =>
        HostCleanup.CgroupHierarchies().Select(h => h + "/libpod_parent");
    private const string Image = "localhost/strata-busybox:1";

    public PodmanTests()
    {
        if (!File.Exists("/usr/bin/podman"))
            throw new InvalidOperationException("podman is missing: apt-get install podman (scripts/deps.sh installs it)");
        _iptablesBefore = Sandbox.Run("/usr/sbin/iptables-save", []).Stdout;
        _libpodParentBefore = LibpodParents().Any(Directory.Exists);
        // The VM's hard limits are below podman's default ulimits; cgroupfs because there is no systemd.
        File.WriteAllText(Path.Combine(_dir, "containers.conf"), """
            [containers]
            default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
            [engine]
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            """);
        BuildImage();
    }

    private Dictionary<string, string> Env => new() { ["CONTAINERS_CONF"] = Path.Combine(_dir, "containers.conf") };

    private CommandResult Podman(params string[] args) => Sandbox.Run("/usr/bin/podman",
        ["--root", Path.Combine(_dir, "root"), "--runroot", Path.Combine(_dir, "runroot"), "--storage-driver", "vfs", "--runtime", Runtimes.StrataPath, .. args],
        Env, TimeSpan.FromSeconds(120));

    /// <summary>A busybox image (umoci, from busybox-static) copied into the private store with skopeo.</summary>
    private void BuildImage()
    {
        var layout = Path.Combine(_dir, "layout");
        var bundle = Path.Combine(_dir, "bundle");
        Check(Sandbox.Run("/usr/bin/umoci", ["init", "--layout", layout]));
        Check(Sandbox.Run("/usr/bin/umoci", ["new", "--image", layout + ":1"]));
        Check(Sandbox.Run("/usr/bin/umoci", ["unpack", "--image", layout + ":1", bundle]));
        var bin = Path.Combine(bundle, "rootfs", "bin");
        Directory.CreateDirectory(bin);
        File.Copy("/bin/busybox", Path.Combine(bin, "busybox"));
        foreach (var applet in Sandbox.Run("/bin/busybox", ["--list"]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (applet != "busybox")
                File.CreateSymbolicLink(Path.Combine(bin, applet), "busybox");
        }
        Check(Sandbox.Run("/usr/bin/umoci", ["repack", "--image", layout + ":1", bundle]));
        Check(Sandbox.Run("/usr/bin/umoci", ["config", "--image", layout + ":1", "--config.cmd", "/bin/sh"]));
        Check(Sandbox.Run("/usr/bin/skopeo", ["copy", $"oci:{layout}:1", $"containers-storage:[vfs@{_dir}/root+{_dir}/runroot]{Image}"], Env));
    }

    private static void Check(CommandResult r) => Assert.True(r.ExitCode == 0, r.ToString());

    [Fact]
    public void PodmanRun_WithStrataRuntime_OutputAndExitCode()
    {
        var result = Podman("run", "--rm", Image, "sh", "-c", "echo hello from strata; hostname; exit 3");
        Assert.Equal(3, result.ExitCode);
        Assert.StartsWith("hello from strata\n", result.Stdout, StringComparison.Ordinal);
        var inspect = Podman("info", "--format", "{{.Host.OCIRuntime.Path}}");
        Assert.Equal(Runtimes.StrataPath, inspect.Stdout.Trim());
    }

    [Fact]
    public void PodmanDetached_ExecLogsStopRm_Work()
    {
        Check(Podman("run", "-d", "--name", "web", Image, "sh", "-c", "echo started; trap 'exit 0' TERM; while true; do sleep 0.2; done"));
        var exec = Podman("exec", "web", "sh", "-c", "echo exec works; ps | grep -c sleep");
        Assert.True(exec.ExitCode == 0, exec.ToString());
        Assert.StartsWith("exec works\n", exec.Stdout, StringComparison.Ordinal);
        Assert.True(LifecycleTests.WaitFor(() => Podman("logs", "web").Stdout.Contains("started", StringComparison.Ordinal)));
        Check(Podman("stop", "-t", "10", "web"));
        Assert.Contains("Exited (0)", Podman("ps", "-a", "--format", "{{.Names}} {{.Status}}").Stdout, StringComparison.Ordinal);
        Check(Podman("rm", "web"));
        Assert.DoesNotContain("web", Podman("ps", "-a", "--format", "{{.Names}}").Stdout, StringComparison.Ordinal);
    }

    /// <summary>conmon receives the terminal over --console-socket, for the container and for exec.</summary>
    [Fact]
    public void PodmanTty_RunAndExec_ProcessHasATerminal()
    {
        var run = Podman("run", "--rm", "-t", Image, "sh", "-c", "tty; exit 6");
        Assert.True(run.ExitCode == 6, run.ToString());
        var lines = run.Stdout.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("/dev/pts/0", lines[0]);

        Check(Podman("run", "-d", "--name", "term", Image, "sleep", "1000"));
        var exec = Podman("exec", "-t", "term", "sh", "-c", "tty; [ -t 0 ] && echo stdin-tty; exit 5");
        Assert.True(exec.ExitCode == 5, exec.ToString());
        Assert.Equal("/dev/pts/0\nstdin-tty\n", exec.Stdout.Replace("\r", "", StringComparison.Ordinal));
        Check(Podman("rm", "-f", "-t", "0", "term"));
    }

    [Fact]
    public void PodmanPublish_PortReachableFromHost()
    {
        Check(Podman("run", "-d", "--name", "srv", "-p", "127.0.0.1:18931:8080", Image, "sh", "-c", "while true; do echo served-by-strata | nc -l -p 8080; done"));
        string? reply = null;
        Assert.True(LifecycleTests.WaitFor(() =>
        {
            try
            {
                using var client = new TcpClient("127.0.0.1", 18931);
                using var reader = new StreamReader(client.GetStream());
                reply = reader.ReadLine();
                return reply == "served-by-strata";
            }
            catch (SocketException)
            {
                return false;
            }
            catch (IOException)
            {
                return false;
            }
        }, 20_000), $"no reply through the published port (last: {reply})");
        Check(Podman("rm", "-f", "srv"));
    }

    public void Dispose()
    {
        Podman("rm", "-af", "-t", "0");
        Sandbox.Run("/bin/sh", ["-c", "printf '%s' \"$RULES\" | /usr/sbin/iptables-restore"], new() { ["RULES"] = _iptablesBefore });
        File.WriteAllText("/proc/sys/net/ipv4/ip_forward", _forwardBefore);
        if (!_bridgeBefore && Directory.Exists("/sys/class/net/" + Bridge))
            Sandbox.Run("/usr/sbin/ip", ["link", "del", Bridge]);
        // podman leaves libpod_parent (and conmon's cgroup in it) behind; empty cgroups are removed, deepest first.
        if (!_libpodParentBefore)
        {
            foreach (var parent in LibpodParents().Where(Directory.Exists))
            {
                foreach (var dir in Directory.EnumerateDirectories(parent, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(parent))
                {
                    try { Directory.Delete(dir); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                }
            }
        }
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
