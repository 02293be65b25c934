namespace Strata.Integration.Runtime;

/// <summary>Regression tests for known container-escape classes.</summary>
public class EscapeTests
{
    /// <summary>
    /// CVE-2019-5736 class: while the init is still the runtime's own binary (the "created" state), a process
    /// in the container must not be able to open it through /proc/1/exe to overwrite it.
    /// </summary>
    [Theory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void CreatedInit_RuntimeBinary_NotReachableThroughProcExe(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "sleep", "1000");
        Assert.Equal(0, sb.ExecDetached("create", "--bundle", bundle, id).ExitCode);
        var result = sb.Exec("exec", id, "sh", "-c", "cat /proc/1/exe > /dev/null && echo READABLE; echo x >> /proc/1/exe && echo WRITABLE; true");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("WRITABLE", result.Stdout, StringComparison.Ordinal);
        // Strata keeps its init non-dumpable, so the link cannot even be opened; runc 1.1 runs its init from
        // a sealed memfd copy instead, which may be read but never written.
        if (sb.IsStrata)
            Assert.DoesNotContain("READABLE", result.Stdout, StringComparison.Ordinal);
        Assert.Equal("created", sb.StatusOf(id));
    }
}
