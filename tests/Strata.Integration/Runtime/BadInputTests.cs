using Strata.Oci.Runtime;

namespace Strata.Integration.Runtime;

/// <summary>Bad input fails with runc's exit code and a clear message, and leaves nothing behind.</summary>
public class BadInputTests
{
    private static void AssertNothingLeft(Sandbox sb, string id)
    {
        Assert.False(Directory.Exists(Path.Combine(sb.Root, id)), "state directory left behind");
        Assert.Empty(sb.LeftoverCgroups(id));
        Assert.NotEqual(0, sb.Exec("state", id).ExitCode);
    }

    /// <summary>The shape of a .NET resource key ("IO_FileNotFound_FileName"): what a framework exception says when
    /// its messages are stripped from the binary (UseSystemResourceKeys).</summary>
    private static readonly System.Text.RegularExpressions.Regex ResourceKey = new(@"\b[A-Z][A-Za-z]*_[A-Za-z]+\b");

    /// <summary>A framework I/O error (reading a directory as config.json) reaches the user as a sentence.</summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_ConfigJsonIsADirectory_ReadableError(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id);
        File.Delete(Path.Combine(bundle, "config.json"));
        Directory.CreateDirectory(Path.Combine(bundle, "config.json"));
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("config.json", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotMatch(ResourceKey, result.Stderr);
        AssertNothingLeft(sb, id);
    }

    /// <summary>A framework I/O error (a missing --process file) reaches the user as a sentence.</summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Exec_ProcessFileMissing_ReadableError(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper();
        var missing = Path.Combine(sb.Dir, "no-such-process.json");
        var result = sb.Exec("exec", "--process", missing, id);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(missing, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotMatch(ResourceKey, result.Stderr);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_MalformedConfig_FailsAndLeavesNothing(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id);
        File.WriteAllText(Path.Combine(bundle, "config.json"), "{\"ociVersion\": \"1.2.0\", \"process\": {\"args\": [\"sh\"], ");
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        if (sb.IsStrata)
            Assert.Contains("malformed JSON", result.Stderr, StringComparison.Ordinal);
        AssertNothingLeft(sb, id);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_WrongFieldType_NamesTheField(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id);
        var json = File.ReadAllText(Path.Combine(bundle, "config.json")).Replace("\"uid\": 0", "\"uid\": \"root\"", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(bundle, "config.json"), json);
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        if (sb.IsStrata)
            Assert.Contains("$.process.user.uid", result.Stderr, StringComparison.Ordinal);
        AssertNothingLeft(sb, id);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_MissingRootfs_FailsAndLeavesNothing(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => s.Root!.Path = "no-such-rootfs");
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no-such-rootfs", result.Stderr, StringComparison.Ordinal);
        AssertNothingLeft(sb, id);
    }

    /// <summary>A limit that passes validation but the kernel refuses when it is written (a CPU this host lacks).</summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_LimitTheKernelRefuses_FailsAndLeavesNothing(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var cpu = (Environment.ProcessorCount + 5).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var bundle = sb.Bundle(id, s => s.Linux!.Resources = new LinuxResources { Cpu = new LinuxCpu { Cpus = cpu } });
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        if (sb.IsStrata)
            Assert.Contains("cpuset.cpus", result.Stderr, StringComparison.Ordinal);
        AssertNothingLeft(sb, id);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_MissingMountSource_FailsAndLeavesNothing(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => s.Mounts!.Add(new Mount { Destination = "/data", Type = "bind", Source = "/no/such/source", Options = ["rbind"] }));
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/no/such/source", result.Stderr, StringComparison.Ordinal);
        AssertNothingLeft(sb, id);
    }

    /// <summary>
    /// A mount only the kernel can refuse (no such filesystem type), listed before the cgroup mount: the init
    /// fails while the parent may still be making the cgroups, and the parent reports the init's error.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_MountTheKernelRefuses_FailsWithTheInitsErrorAndLeavesNothing(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => s.Mounts!.Insert(1, new Mount { Destination = "/data", Type = "nosuchfs", Source = "none" }));
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/data", result.Stderr, StringComparison.Ordinal);
        AssertNothingLeft(sb, id);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_ProgramNotFound_FailsAtCreateAndLeavesNothing(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, null, "no-such-program");
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("executable file not found in $PATH", result.Stderr, StringComparison.Ordinal);
        AssertNothingLeft(sb, id);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_UnknownNamespaceType_Fails(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => s.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "bogus" }));
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("bogus", result.Stderr, StringComparison.Ordinal);
        AssertNothingLeft(sb, id);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Create_DuplicateId_FailsAndKeepsTheFirst(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, pid) = sb.StartSleeper();
        var bundle = sb.Bundle(id + "-2");
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("exists", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("running", sb.StatusOf(id));
        Assert.Equal(pid, sb.PidOf(id));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Start_Twice_SecondFails(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper();
        var result = sb.Exec("start", id);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("running", result.Stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Delete_RunningWithoutForce_RefusedThenForceWorks(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, pid) = sb.StartSleeper();
        var refused = sb.Exec("delete", id);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("running", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal("running", sb.StatusOf(id));
        Assert.Equal(0, sb.Exec("delete", "--force", id).ExitCode);
        Assert.True(LifecycleTests.WaitFor(() => !LifecycleTests.IsLive(pid)));
        AssertNothingLeft(sb, id);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Kill_StoppedContainer_Fails(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper();
        Assert.Equal(0, sb.Exec("kill", id, "KILL").ExitCode);
        Assert.True(LifecycleTests.WaitFor(() => sb.StatusOf(id) == "stopped"));
        var result = sb.Exec("kill", id, "TERM");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not running", result.Stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Kill_UnknownSignal_Fails(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper();
        var result = sb.Exec("kill", id, "SIGBOGUS");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("running", sb.StatusOf(id));
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Commands_NonexistentContainer_Fail(string runtime)
    {
        using var sb = new Sandbox(runtime);
        foreach (var command in new[] { "state", "start", "delete", "kill" })
        {
            var result = sb.Exec(command, "no-such-container");
            Assert.True(result.ExitCode == 1, $"{command}: {result}");
            Assert.Contains("does not exist", result.Stderr, StringComparison.Ordinal);
        }
        Assert.Equal(0, sb.Exec("delete", "--force", "no-such-container").ExitCode);
    }

    [Fact]
    public void Create_UnknownCapability_FailsAndLeavesNothing()
    {
        // runc 1.1 only warns and drops the name; Strata refuses (docs/runtime-differences.md).
        using var sb = new Sandbox(Runtimes.Strata);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => s.Process!.Capabilities!.Bounding!.Add("CAP_BOGUS"));
        var result = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("CAP_BOGUS", result.Stderr, StringComparison.Ordinal);
        AssertNothingLeft(sb, id);
    }
}
