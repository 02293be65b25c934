namespace Strata.Runtime.Tests.Lifecycle;

public class ContainerStatusTests
{
    [Theory]
    [InlineData(ContainerStatus.Creating, "creating")]
    [InlineData(ContainerStatus.Created, "created")]
    [InlineData(ContainerStatus.Running, "running")]
    [InlineData(ContainerStatus.Stopped, "stopped")]
    [InlineData(ContainerStatus.Paused, "paused")]
    public void ToOciString_EachStatus_IsTheRuntimeSpecSpelling(ContainerStatus status, string expected) =>
        Assert.Equal(expected, status.ToOciString());

    // One row per status: start, exec, kill, kill --all, pause, resume, update/stats, delete, delete --force.
    [Theory]
    [InlineData(ContainerStatus.Creating, false, false, true, true, false, false, true, true, true)]
    [InlineData(ContainerStatus.Created, true, true, true, true, false, false, true, true, true)]
    [InlineData(ContainerStatus.Running, false, true, true, true, true, false, true, false, true)]
    [InlineData(ContainerStatus.Paused, false, false, true, true, false, true, true, false, true)]
    [InlineData(ContainerStatus.Stopped, false, false, false, true, false, false, false, true, true)]
    public void Guards_EachStatus_AllowWhatRuncAllows(ContainerStatus status, bool start, bool exec, bool kill, bool killAll,
        bool pause, bool resume, bool processes, bool delete, bool forceDelete)
    {
        Assert.Equal(start, status.CanStart());
        Assert.Equal(exec, status.CanExec());
        Assert.Equal(kill, status.CanKill(all: false));
        Assert.Equal(killAll, status.CanKill(all: true));
        Assert.Equal(pause, status.CanPause());
        Assert.Equal(resume, status.CanResume());
        Assert.Equal(processes, status.HasProcesses());
        Assert.Equal(delete, status.CanDelete(force: false));
        Assert.Equal(forceDelete, status.CanDelete(force: true));
    }

    [Theory]
    [InlineData(ContainerStatus.Stopped, "cannot start a container that has stopped")]
    [InlineData(ContainerStatus.Running, "cannot start an already running container")]
    [InlineData(ContainerStatus.Paused, "cannot start a container in the paused state")]
    public void CannotStart_EachStatus_SaysRuncsWords(ContainerStatus status, string message) =>
        Assert.Equal(message, status.CannotStart());

    [Fact]
    public void Errors_NameTheStatus_InTheSpecsSpelling()
    {
        Assert.Equal("cannot exec in a stopped container", ContainerStatus.Stopped.CannotExec());
        Assert.Equal("cannot delete container c1 that is not stopped: running", ContainerStatus.Running.CannotDelete("c1"));
        Assert.Equal("container already paused", ContainerStatus.Paused.CannotPause());
        Assert.Equal("container not running", ContainerStatus.Stopped.CannotPause());
    }
}
