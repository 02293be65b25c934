using System.Text.Json;
using Strata.Oci.Runtime;

namespace Strata.Integration.Runtime;

/// <summary>The read-only verbs print what runc prints.</summary>
public class CliTests
{
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void List_JsonAndTable_ShowContainers(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, pid) = sb.StartSleeper();
        var json = sb.Exec("list", "--format", "json");
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Stdout);
        var entry = doc.RootElement.EnumerateArray().Single();
        Assert.Equal(id, entry.GetProperty("id").GetString());
        Assert.Equal(pid, entry.GetProperty("pid").GetInt32());
        Assert.Equal("running", entry.GetProperty("status").GetString());
        Assert.Equal("root", entry.GetProperty("owner").GetString());
        Assert.True(entry.TryGetProperty("created", out _));
        Assert.True(entry.TryGetProperty("rootfs", out _));

        var table = sb.Exec("list").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(id, table[1], StringComparison.Ordinal);
        Assert.Equal(id + "\n", sb.Exec("list", "-q").Stdout);
    }

    /// <summary>
    /// Runs the runtime as the only child of a perl script that is pid 1 of a new pid namespace: it waits for
    /// the runtime alone and reaps nothing else, then counts the zombies and the live processes left besides
    /// itself. A leaked zygote or pre-forked init shows up in one count or the other.
    /// </summary>
    private static (CommandResult Result, string Counts) RunAlone(params string[] runtimeArgs)
    {
        const string init = """
            my $pid = fork(); if (!$pid) { exec @ARGV or die "exec: $!"; }
            waitpid($pid, 0); my $rc = $? >> 8;
            select(undef, undef, undef, 0.3);
            my ($z, $live) = (0, 0);
            opendir(my $d, "/proc");
            for my $p (grep { /^\d+$/ } readdir($d)) {
                next if $p == 1;
                open(my $f, "<", "/proc/$p/stat") or next;
                if (<$f> =~ /\) Z /) { $z++ } else { $live++ }
            }
            print STDERR "rc=$rc zombies=$z live=$live\n";
            """;
        var result = Sandbox.Run("/usr/bin/unshare", ["--pid", "--fork", "--mount-proc", "/usr/bin/perl", "-e", init, .. runtimeArgs]);
        var lines = result.Stderr.TrimEnd('\n').Split('\n');
        return (result, lines[^1]);
    }

    /// <summary>
    /// The native stage pre-forks an init (as root; a zygote otherwise) when "create" or "run" appears among
    /// the arguments; here it is a container id, it goes unused, and the runtime must end it rather than leave
    /// it to whatever adopts it.
    /// </summary>
    [Fact]
    public void State_IdNamedRun_LeavesNoZygoteOrInit()
    {
        using var sb = new Sandbox(Runtimes.Strata);

        var (result, counts) = RunAlone(sb.Binary, "--root", sb.Root, "state", "run");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("rc=1 zombies=0 live=0", counts);
        Assert.Contains("container does not exist", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>A create that fails once the zygote has pre-forked the init ends that init too.</summary>
    [Fact]
    public void Create_Fails_LeavesNoPreforkedInit()
    {
        using var sb = new Sandbox(Runtimes.Strata);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => s.Mounts!.Add(new Mount { Destination = "/data", Type = "bind", Source = "/does/not/exist", Options = ["bind"] }));

        var (result, counts) = RunAlone(sb.Binary, "--root", sb.Root, "create", "--bundle", bundle, id);

        Assert.Equal("rc=1 zombies=0 live=0", counts);
        Assert.Contains("/does/not/exist", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(sb.Root, id)));
    }

    /// <summary>
    /// `run` adopts the pre-forked init when config.json asks for nothing else of the native stage (new pid and
    /// mount namespaces, other kinds new or joined), and otherwise kills it and spawns the native stage; either
    /// way the container runs and nothing is left. The debug log says which.
    /// </summary>
    [SkippableTheory]
    [InlineData("default", "adopted the pre-forked init")]
    [InlineData("host-network", "adopted the pre-forked init")]
    [InlineData("host-pid", "the pre-forked init does not fit (network,mount,ipc,uts,cgroup new, 0 joined): spawning stage 0")]
    public void Run_PreforkedInit_AdoptedOrDiscarded(string config, string logged)
    {
        using var sb = new Sandbox(Runtimes.Strata);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s =>
        {
            if (config == "host-network")
            {
                s.Linux!.Namespaces!.RemoveAll(n => n.Type == "network");
                s.Mounts!.RemoveAll(m => m.Destination == "/sys");
            }
            if (config == "host-pid")
                s.Linux!.Namespaces!.RemoveAll(n => n.Type == "pid");
        }, "sh", "-c", "exit 7");
        var log = Path.Combine(sb.Dir, "debug.log");

        var (result, counts) = RunAlone(sb.Binary, "--root", sb.Root, "--log", log, "--debug", "run", "--bundle", bundle, id);

        Assert.True(counts == "rc=7 zombies=0 live=0", result.ToString());
        Assert.Contains(logged, File.ReadAllText(log), StringComparison.Ordinal);
        Assert.Empty(sb.LeftoverCgroups(id));
    }

    /// <summary>
    /// Without CAP_SYS_CHROOT the way back from a pre-fork (setns into the runtime's mount namespace, chroot to
    /// its root) would fail: the dry run before it sees that, nothing is pre-forked, and the zygote does the work.
    /// </summary>
    [Fact]
    public void Run_WhereThePreforkCouldNotReturn_UsesTheZygote()
    {
        using var sb = new Sandbox(Runtimes.Strata);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "sh", "-c", "exit 4");
        var log = Path.Combine(sb.Dir, "debug.log");

        var (result, counts) = RunAlone("/usr/bin/setpriv", "--bounding-set", "-sys_chroot", "--", sb.Binary, "--root", sb.Root, "--log", log, "--debug", "run", "--bundle", bundle, id);

        Assert.True(counts == "rc=4 zombies=0 live=0", result.ToString());
        Assert.DoesNotContain("pre-forked", File.ReadAllText(log), StringComparison.Ordinal);
        Assert.Empty(sb.LeftoverCgroups(id));
    }

    /// <summary>
    /// A zygote or pre-forked init named in an inherited environment (a strata-runtime started by a hook, say) is
    /// not this process's.
    /// </summary>
    [Fact]
    public void ZygoteVariableInherited_IsIgnored()
    {
        using var sb = new Sandbox(Runtimes.Strata);
        var env = new Dictionary<string, string> { ["_STRATA_ZYGOTE"] = "0,1,0", ["_STRATA_PREFORKED"] = "1,0" };

        var state = Sandbox.Run(sb.Binary, ["--root", sb.Root, "state", "nothere"], env);
        var id = sb.NewId();
        var run = Sandbox.Run(sb.Binary, ["--root", sb.Root, "run", "--bundle", sb.Bundle(id, null, "sh", "-c", "exit 5"), id], env);

        Assert.Equal(1, state.ExitCode);
        Assert.Equal("container does not exist", state.Stderr.Trim());
        Assert.True(run.ExitCode == 5, run.ToString());
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void State_RunningContainer_IsOciStateJson(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, pid) = sb.StartSleeper();
        using var doc = JsonDocument.Parse(sb.Exec("state", id).Stdout);
        var root = doc.RootElement;
        Assert.StartsWith("1.", root.GetProperty("ociVersion").GetString(), StringComparison.Ordinal);
        Assert.Equal(id, root.GetProperty("id").GetString());
        Assert.Equal("running", root.GetProperty("status").GetString());
        Assert.Equal(pid, root.GetProperty("pid").GetInt32());
        Assert.Equal(Path.Combine(sb.Dir, "bundle-" + id), root.GetProperty("bundle").GetString());
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Ps_JsonAndTable_ListContainerProcesses(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, pid) = sb.StartSleeper();
        var json = sb.Exec("ps", "--format", "json", id);
        Assert.Equal(0, json.ExitCode);
        Assert.Equal([pid], JsonSerializer.Deserialize<int[]>(json.Stdout)!);
        var table = sb.Exec("ps", id).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("PID", table[0], StringComparison.Ordinal);
        Assert.Contains(table.Skip(1), l => l.Contains("sleep 1000", StringComparison.Ordinal));
        Assert.Equal(2, table.Length);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Spec_Default_IsAValidRuncLikeConfig(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var dir = Directory.CreateDirectory(Path.Combine(sb.Dir, "spec")).FullName;
        Assert.Equal(0, Sandbox.Run(sb.Binary, ["spec", "--bundle", dir]).ExitCode);
        var spec = SpecLoader.Parse(File.ReadAllBytes(Path.Combine(dir, "config.json")));
        SpecValidator.Validate(spec);
        Assert.Equal(["sh"], spec.Process!.Args!);
        Assert.Equal("rootfs", spec.Root!.Path);
        // runc 1.1 leaves out the cgroup namespace that newer runc and Strata add.
        Assert.Equal(["pid", "network", "ipc", "uts", "mount"], spec.Linux!.Namespaces!.Select(n => n.Type).Take(5));
        Assert.Contains(spec.Mounts!, m => m.Destination == "/proc" && m.Type == "proc");
        Assert.Contains("/proc/kcore", spec.Linux.MaskedPaths!);
        // A second spec refuses to overwrite.
        Assert.NotEqual(0, Sandbox.Run(sb.Binary, ["spec", "--bundle", dir]).ExitCode);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Features_Json_ListsHooksNamespacesAndCapabilities(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = Sandbox.Run(sb.Binary, ["features"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.StartsWith("1.", root.GetProperty("ociVersionMax").GetString(), StringComparison.Ordinal);
        var hooks = root.GetProperty("hooks").EnumerateArray().Select(h => h.GetString()).ToList();
        Assert.Equal(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"], hooks);
        var linux = root.GetProperty("linux");
        Assert.Contains("pid", linux.GetProperty("namespaces").EnumerateArray().Select(n => n.GetString()));
        Assert.Contains("CAP_SYS_ADMIN", linux.GetProperty("capabilities").EnumerateArray().Select(n => n.GetString()));
        Assert.Contains("rbind", root.GetProperty("mountOptions").EnumerateArray().Select(n => n.GetString()));
        Assert.True(linux.GetProperty("cgroup").GetProperty("v1").GetBoolean());
    }
}
