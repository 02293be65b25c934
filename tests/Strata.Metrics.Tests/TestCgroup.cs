using System.Diagnostics;
using Strata.Cgroups;
using Strata.Metrics.Collectors;

namespace Strata.Metrics.Tests;

/// <summary>
/// A cgroup of the test's own (unique name, through Strata.Cgroups' host detection, so any cgroup layout
/// works) and the helper processes put in it; Dispose kills them all and removes the cgroup.
/// </summary>
internal sealed class TestCgroup : IDisposable
{
    private readonly List<Process> _processes = [];

    public TestCgroup(Oci.Runtime.LinuxResources? resources = null)
    {
        Host = CgroupHost.Detect();
        Cgroup = CgroupManager.Open(Host, $"/strata-metrics-test-{Guid.NewGuid():N}");
        Cgroup.Create();
        Cgroup.Apply(resources);
    }

    public CgroupHost Host { get; }
    public ICgroupManager Cgroup { get; }

    public ContainerTarget Target(int? pid = null) =>
        new("test", Cgroup, pid, pid is { } p ? Linux.ProcStat.TryRead(p)?.StartTime : null) { Name = "metrics-test", Image = "none" };

    /// <summary>Starts the helper with <paramref name="args"/>, moves it into the cgroup, lets it work and waits for "ready".</summary>
    public Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo(LoadHelper.Path) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        Process p = Process.Start(psi)!;
        _processes.Add(p);
        Cgroup.AddProcess(p.Id);
        p.StandardInput.WriteLine("go");
        p.StandardInput.Flush();
        string? line = p.StandardOutput.ReadLine();
        Assert.True(line == "ready", $"helper {string.Join(' ', args)} did not get ready (exit {(p.HasExited ? p.ExitCode : -1)})");
        return p;
    }

    public void Dispose()
    {
        // The helpers and whatever they forked (the vfork child): everything in the cgroup.
        for (int round = 0; round < 50; round++)
        {
            IReadOnlyList<int> pids;
            try
            {
                pids = Cgroup.GetPids();
            }
            catch (CgroupException)
            {
                break;
            }
            if (pids.Count == 0)
                break;
            foreach (int pid in pids)
                _ = Linux.Sys.Kill(pid, 9);
            foreach (Process p in _processes)
                p.WaitForExit(100);
        }
        foreach (Process p in _processes)
        {
            if (!p.HasExited)
                p.Kill();
            p.WaitForExit();
            p.Dispose();
        }
        Cgroup.Destroy();
    }
}
