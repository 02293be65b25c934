using Strata.Linux;
using Strata.Oci.Runtime;
using Strata.Runtime.Config;
using Strata.Runtime.State;

namespace Strata.Runtime.Lifecycle;

public sealed partial class ContainerRuntime
{
    /// <summary>`start`: runs the user's process of a created container (runtime.md, "start").</summary>
    public void Start(string id)
    {
        var (record, status) = Refresh(id);
        if (!status.CanStart())
            throw new RuntimeException(status.CannotStart());
        StartCreated(record, HooksOf(id));
    }

    /// <summary>Start of a container known to be created: releases the init's exec fifo, then poststart hooks.</summary>
    private void StartCreated(ContainerRecord record, Hooks? hooks)
    {
        var id = record.Id;
        var fifo = Store.FifoOf(id);
        using (var reader = Sys.OpenNonBlocking(fifo, OpenFlags.ReadOnly))
        {
            Span<byte> one = stackalloc byte[1];
            while (true)
            {
                if (Sys.PollReadable(reader, 100))
                {
                    var n = Sys.Read(reader, one);
                    if (n == 1)
                        break;
                    if (n == 0)
                        throw new RuntimeException("cannot start container: its init exited before start");
                }
                else if (!IsAlive(record))
                {
                    throw new RuntimeException("cannot start container: its init exited before start");
                }
            }
        }
        File.Delete(fifo);
        if (hooks is { Poststart.Count: > 0 })
            HookRunner.RunAllWarnOnly("poststart", hooks.Poststart, new OciStateView(id, ContainerStatus.Running, record.InitPid, record.Bundle, record.Annotations), Warn);
    }
}
