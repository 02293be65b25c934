using Strata.Oci.Runtime;

namespace Strata.Integration.Runtime;

/// <summary>The runtime-spec lifecycle (runtime.md, "Lifecycle") through the runc command line.</summary>
public class LifecycleTests
{
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Lifecycle_CreateStartKillDelete_StatesFollowTheSpec(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var mountsBefore = sb.HostMountsUnderSandbox();
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "sh", "-c", "echo started > /tmp/marker; exec sleep 1000");
        var pidFile = Path.Combine(sb.Dir, "init.pid");

        var create = sb.ExecDetached("create", "--bundle", bundle, "--pid-file", pidFile, id);
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Equal("created", sb.StatusOf(id));
        var pid = sb.PidOf(id);
        Assert.Equal(pid.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(pidFile).Trim());
        // created: the user's process has not run yet.
        Assert.False(File.Exists(Path.Combine(bundle, "rootfs", "tmp", "marker")));

        Assert.Equal(0, sb.Exec("start", id).ExitCode);
        Assert.Equal("running", sb.StatusOf(id));
        Assert.True(WaitFor(() => File.Exists(Path.Combine(bundle, "rootfs", "tmp", "marker"))));
        Assert.Equal(pid, sb.PidOf(id));

        Assert.Equal(0, sb.Exec("kill", id, "KILL").ExitCode);
        Assert.True(WaitFor(() => sb.StatusOf(id) == "stopped"), "container did not stop after SIGKILL");

        Assert.Equal(0, sb.Exec("delete", id).ExitCode);
        Assert.NotEqual(0, sb.Exec("state", id).ExitCode);
        Assert.Empty(sb.LeftoverCgroups(id));
        Assert.False(Directory.Exists(Path.Combine(sb.Root, id)));
        Assert.Equal(mountsBefore, sb.HostMountsUnderSandbox());
    }

    /// <summary>
    /// Between create and start, ps shows the container's init as "RUNTIME init" (runc's re-exec; strata's init,
    /// forked from the zygote, rewrites the runtime's command line to match).
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_InitCommandLine_IsRuntimeInit(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "true");
        var create = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.True(create.ExitCode == 0, create.ToString());

        var cmdline = File.ReadAllText($"/proc/{sb.PidOf(id)}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal([Path.GetFileName(sb.Binary), "init"], [Path.GetFileName(cmdline[0]), .. cmdline[1..]]);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Run_ProcessExitCode_IsTheRuntimesExitCode(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(null, "sh", "-c", "echo out; echo err >&2; exit 42");
        Assert.Equal(42, result.ExitCode);
        Assert.Equal("out\n", result.Stdout);
        Assert.Contains("err", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// runc forwards SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1 and SIGUSR2 that a foreground run receives to the
    /// container's init; the runtime itself lives on and exits with the container's status.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Run_Foreground_ForwardsSignalsToTheContainer(string runtime)
    {
        using var sb = new Sandbox(runtime);
        foreach (var (signal, name, status) in new[] { (10, "USR1", 7), (15, "TERM", 9), (2, "INT", 11) })
        {
            var id = sb.NewId();
            var bundle = sb.Bundle(id, null, "sh", "-c", $"trap 'echo got {name}; exit {status}' {name}; echo ready; while :; do sleep 0.05; done");
            var start = new System.Diagnostics.ProcessStartInfo(sb.Binary) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            foreach (var a in new[] { "--root", sb.Root, "run", "--bundle", bundle, id })
                start.ArgumentList.Add(a);
            using var run = System.Diagnostics.Process.Start(start)!;
            try
            {
                var stderr = run.StandardError.ReadToEndAsync();
                Assert.Equal("ready", await run.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));

                Assert.True(Strata.Linux.Sys.Kill(run.Id, signal));

                Assert.Equal($"got {name}", await run.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
                Assert.True(run.WaitForExit(TimeSpan.FromSeconds(30)), $"run did not exit after SIG{name}");
                var errors = await stderr;
                Assert.True(run.ExitCode == status, $"SIG{name}: exit {run.ExitCode}, stderr: {errors}");
            }
            finally
            {
                if (!run.HasExited)
                    run.Kill();
            }
        }
    }

    /// <summary>
    /// A signal that reaches a foreground run after the container's process started but before the runtime has
    /// made it the forwarding target (here: while a poststart hook runs) is held and delivered, as runc's buffered
    /// signal channel does, not swallowed. Strata only: runc 1.1 runs poststart hooks during create, before the
    /// process starts, so a hook cannot open this window there.
    /// </summary>
    [Fact]
    public async Task Run_SignalBeforeForwardingStarts_IsDeliveredOnceItDoes()
    {
        using var sb = new Sandbox(Runtimes.Strata);
        var id = sb.NewId();
        var go = Path.Combine(sb.Dir, "go");
        var bundle = sb.Bundle(id, s => s.Hooks = new Hooks
        {
            Poststart = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", $"while [ ! -e {go} ]; do sleep 0.01; done"] }],
        }, "sh", "-c", "trap 'echo got USR1; exit 7' USR1; echo ready; while :; do sleep 0.05; done");
        var start = new System.Diagnostics.ProcessStartInfo(sb.Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--root", sb.Root, "run", "--bundle", bundle, id })
            start.ArgumentList.Add(a);
        using var run = System.Diagnostics.Process.Start(start)!;
        try
        {
            var stderr = run.StandardError.ReadToEndAsync();
            Assert.Equal("ready", await run.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            // The runtime is blocked in the poststart hook: the container runs, forwarding has no target yet.
            Assert.True(Strata.Linux.Sys.Kill(run.Id, 10));
            await File.WriteAllTextAsync(go, "");
            Assert.Equal("got USR1", await run.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.True(run.WaitForExit(TimeSpan.FromSeconds(30)), "run did not exit after SIGUSR1");
            var errors = await stderr;
            Assert.True(run.ExitCode == 7, $"exit {run.ExitCode}, stderr: {errors}");
        }
        finally
        {
            if (!run.HasExited)
                run.Kill();
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Run_ProcessKilledBySignal_Exits128PlusSignal(string runtime)
    {
        using var sb = new Sandbox(runtime);
        // Not pid 1: the kernel ignores SIGKILL sent to a pid namespace's init from inside it.
        var result = sb.RunContainer(s => s.Linux!.Namespaces!.RemoveAll(n => n.Type == "pid"), "sh", "-c", "kill -9 $$");
        Assert.Equal(137, result.ExitCode);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Run_Finished_LeavesNoStateCgroupOrMount(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var mountsBefore = sb.HostMountsUnderSandbox();
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "true");
        Assert.Equal(0, sb.Exec("run", "--bundle", bundle, id).ExitCode);
        Assert.Empty(sb.LeftoverCgroups(id));
        Assert.False(Directory.Exists(Path.Combine(sb.Root, id)));
        Assert.Equal(mountsBefore, sb.HostMountsUnderSandbox());
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void RunDetach_ContainerKeepsRunning_UntilKilled(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "sleep", "1000");
        var run = sb.ExecDetached("run", "--detach", "--bundle", bundle, id);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("running", sb.StatusOf(id));
        Assert.Equal(0, sb.Exec("delete", "--force", id).ExitCode);
        Assert.NotEqual(0, sb.Exec("state", id).ExitCode);
        Assert.Empty(sb.LeftoverCgroups(id));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Kill_SignalByNameAndNumber_ReachesInit(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        // The shell traps USR1 and records it, so the signal is seen by the process, not just delivered.
        var bundle = sb.Bundle(id, null, "sh", "-c", "trap 'echo usr1 >> /tmp/got' USR1; trap 'echo term >> /tmp/got; exit 0' TERM; touch /tmp/ready; while true; do sleep 0.1; done");
        Assert.Equal(0, sb.ExecDetached("run", "-d", "--bundle", bundle, id).ExitCode);
        var got = Path.Combine(bundle, "rootfs", "tmp", "got");
        // Signal only once the traps are set: before that, USR1's default action ends the shell.
        Assert.True(WaitFor(() => File.Exists(Path.Combine(bundle, "rootfs", "tmp", "ready"))));
        Assert.Equal(0, sb.Exec("kill", id, "SIGUSR1").ExitCode);
        Assert.True(WaitFor(() => File.Exists(got) && File.ReadAllText(got).Contains("usr1", StringComparison.Ordinal)));
        Assert.Equal(0, sb.Exec("kill", id, "15").ExitCode);
        Assert.True(WaitFor(() => sb.StatusOf(id) == "stopped"));
        Assert.Contains("term", File.ReadAllText(got), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void KillAll_ContainerWithoutPidNamespace_SignalsEveryProcess(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper(s =>
        {
            s.Linux!.Namespaces!.RemoveAll(n => n.Type == "pid");
            s.Process!.Args = ["sh", "-c", "sleep 1000 & sleep 1000 & exec sleep 1000"];
        });
        var procsFile = sb.Cgroup(id).Procs("pids");
        Assert.True(WaitFor(() => File.ReadAllLines(procsFile).Length == 3));
        var procs = File.ReadAllLines(procsFile).Select(int.Parse).ToList();
        Assert.Equal(0, sb.Exec("kill", "--all", id, "KILL").ExitCode);
        Assert.True(WaitFor(() => procs.All(p => !IsLive(p))), "kill --all left processes running");
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Delete_CreatedContainer_KillsItsInit(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "sleep", "1000");
        Assert.Equal(0, sb.ExecDetached("create", "--bundle", bundle, id).ExitCode);
        var pid = sb.PidOf(id);
        Assert.Equal(0, sb.Exec("delete", id).ExitCode);
        Assert.True(WaitFor(() => !IsLive(pid)));
        Assert.Empty(sb.LeftoverCgroups(id));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void PauseResume_RunningContainer_FreezesAndThaws(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "sh", "-c", "while true; do date +%s%N > /tmp/tick; sleep 0.05; done");
        var run = sb.ExecDetached("run", "-d", "--bundle", bundle, id);
        Assert.True(run.ExitCode == 0, run.ToString());
        var tick = Path.Combine(bundle, "rootfs", "tmp", "tick");
        Assert.True(WaitFor(() => File.Exists(tick)));

        var paused = sb.Exec("pause", id);
        Assert.True(paused.ExitCode == 0, paused.ToString());
        Assert.Equal("paused", sb.StatusOf(id));
        var frozen = File.ReadAllText(tick);
        Thread.Sleep(300);
        Assert.Equal(frozen, File.ReadAllText(tick));
        Assert.NotEqual(0, sb.Exec("pause", id).ExitCode);

        Assert.Equal(0, sb.Exec("resume", id).ExitCode);
        Assert.Equal("running", sb.StatusOf(id));
        Assert.True(WaitFor(() => File.ReadAllText(tick) != frozen), "the container did not run again after resume");
        Assert.NotEqual(0, sb.Exec("resume", id).ExitCode);

        Assert.Equal(0, sb.Exec("pause", id).ExitCode);
        Assert.Equal(0, sb.Exec("delete", "--force", id).ExitCode);
        Assert.Empty(sb.LeftoverCgroups(id));
    }

    public static bool IsLive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
            return false;
        try
        {
            var text = File.ReadAllText(stat);
            var state = text[(text.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static bool WaitFor(Func<bool> condition, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            if (condition())
                return true;
            Thread.Sleep(20);
        }
        return condition();
    }
}
