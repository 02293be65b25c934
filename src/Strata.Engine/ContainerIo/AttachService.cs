using System.Collections.Concurrent;
using Strata.Engine.Containers;
using Strata.Engine.Exec;
using Strata.Logs;

namespace Strata.Engine.ContainerIo;

/// <summary>POST /containers/{id}/attach's options.</summary>
public sealed record AttachOptions
{
    public bool Stdin { get; init; }
    public bool Stdout { get; init; }
    public bool Stderr { get; init; }

    /// <summary>The log so far first (`logs=1`).</summary>
    public bool Logs { get; init; }

    /// <summary>The live output (`stream=1`).</summary>
    public bool Stream { get; init; }

    public DetachKeys? DetachKeys { get; init; }
}

/// <summary>How an attach ended.</summary>
public enum AttachEnd
{
    /// <summary>The container's output ended (it exited), or there was nothing to stream.</summary>
    OutputEnded,

    /// <summary>The client typed the detach keys.</summary>
    Detached,

    /// <summary>The client went away.</summary>
    ClientGone,

    /// <summary>The container was removed before it started.</summary>
    Removed,
}

/// <summary>
/// Attach over the monitors' attach sockets. A container that runs is attached at once; one that does not yet
/// (docker run attaches before it starts, `start -a` to an exited container) is attached by
/// <see cref="CreatedAsync"/> on its next start, after its monitor listens and before its program runs, so
/// none of its output is missed. Registered as a container hook.
/// </summary>
public sealed class AttachService : IContainerHook
{
    private readonly ConcurrentDictionary<string, List<TaskCompletionSource<MonitorAttach?>>> _waiting = new(StringComparer.Ordinal);

    /// <summary>
    /// Attaches <paramref name="stdin"/> and <paramref name="output"/> to the container in
    /// <paramref name="directory"/>: the log first with <see cref="AttachOptions.Logs"/>, then the live output
    /// until it ends, the client detaches or goes away. <paramref name="running"/> says whether to connect now
    /// or wait for the next start.
    /// </summary>
    /// <param name="reservation">From <see cref="Reserve"/>, made before the client was answered: a start it triggers is not missed.</param>
    public async Task<AttachEnd> AttachAsync(string containerId, string directory, string logPath, bool running, AttachOptions options,
        Stream? stdin, ExecOutput output, AttachReservation? reservation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        try
        {
            if (options.Logs)
            {
                await foreach (var entry in JsonLogReader.ReadAsync(logPath, new LogReadOptions(), cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    if (entry.Stream == LogStream.Stderr ? options.Stderr : options.Stdout)
                        await output(entry.Stream.ToStdStream(), entry.Line, cancellationToken).ConfigureAwait(false);
                }
            }
            if (!options.Stream)
                return AttachEnd.OutputEnded;
            // A start since the reservation connected it before the program ran; else a running container is
            // connected now; else the next start.
            var connection = reservation?.TakeIfStarted();
            if (connection is null && running)
                connection = await MonitorAttach.TryConnectAsync(directory, cancellationToken).ConfigureAwait(false);
            connection ??= reservation is not null
                ? await reservation.TakeAsync(cancellationToken).ConfigureAwait(false)
                : await NextStartAsync(containerId, cancellationToken).ConfigureAwait(false);
            if (connection is null)
                return AttachEnd.Removed;
            await using (connection.ConfigureAwait(false))
                return await PumpAsync(connection, options, stdin, output, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            return AttachEnd.ClientGone;
        }
    }

    /// <summary>Sets the terminal size of a running container through its monitor; false when it has no monitor listening.</summary>
    public static async Task<bool> ResizeAsync(string directory, ushort rows, ushort columns, CancellationToken cancellationToken)
    {
        var connection = await MonitorAttach.TryConnectAsync(directory, cancellationToken).ConfigureAwait(false);
        if (connection is null)
            return false;
        await using (connection.ConfigureAwait(false))
            await connection.ResizeAsync(rows, columns, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public Task PrepareAsync(ContainerStartContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The monitor listens and the program has not run yet: the waiting attaches connect now.</summary>
    public async Task CreatedAsync(ContainerStartContext context, int initPid, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_waiting.TryRemove(context.Id, out var waiters))
            return;
        List<TaskCompletionSource<MonitorAttach?>> pending;
        lock (waiters)
            pending = [.. waiters];
        foreach (var waiter in pending)
        {
            if (waiter.Task.IsCompleted)
                continue;
            var connection = await MonitorAttach.TryConnectAsync(context.Directory, cancellationToken).ConfigureAwait(false);
            if (!waiter.TrySetResult(connection) && connection is not null)
                await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    public Task ReleaseAsync(ContainerHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A removed container will not start: its waiting attaches end.</summary>
    public Task RemoveAsync(ContainerHookContext context, bool removeVolumes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_waiting.TryRemove(context.Id, out var waiters))
        {
            lock (waiters)
            {
                foreach (var w in waiters)
                    w.TrySetResult(null);
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Registers an attach for the container's next start before the client is answered (docker run attaches,
    /// then starts once the attach is answered): that start connects it before the program runs.
    /// </summary>
    public AttachReservation Reserve(string containerId)
    {
        var waiter = new TaskCompletionSource<MonitorAttach?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiters = _waiting.GetOrAdd(containerId, _ => []);
        lock (waiters)
            waiters.Add(waiter);
        return new AttachReservation(waiter, () =>
        {
            lock (waiters)
                waiters.Remove(waiter);
        });
    }

    private async Task<MonitorAttach?> NextStartAsync(string containerId, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<MonitorAttach?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiters = _waiting.GetOrAdd(containerId, _ => []);
        lock (waiters)
            waiters.Add(waiter);
        using var registration = cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken));
        try
        {
            return await waiter.Task.ConfigureAwait(false);
        }
        finally
        {
            lock (waiters)
                waiters.Remove(waiter);
        }
    }

    private static async Task<AttachEnd> PumpAsync(MonitorAttach connection, AttachOptions options, Stream? stdin, ExecOutput output, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var input = options.Stdin && stdin is not null ? CopyStdinAsync(connection, stdin, options.DetachKeys, done.Token) : null;
        var outputTask = CopyOutputAsync(connection, options, output, done.Token);
        var first = input is null ? await outputTask.ConfigureAwait(false) : await (await Task.WhenAny(outputTask, input).ConfigureAwait(false)).ConfigureAwait(false);
        if (first == AttachEnd.OutputEnded && input is not null)
        {
            // stdin ended without detaching: the output goes on until the container's ends.
            if (!outputTask.IsCompleted)
                first = await outputTask.ConfigureAwait(false);
        }
        await done.CancelAsync().ConfigureAwait(false);
        return first;
    }

    private static async Task<AttachEnd> CopyOutputAsync(MonitorAttach connection, AttachOptions options, ExecOutput output, CancellationToken cancellationToken)
    {
        try
        {
            while (await connection.ReadAsync(cancellationToken).ConfigureAwait(false) is { } frame)
            {
                if (frame.Stream == StdStream.Stderr ? options.Stderr : options.Stdout)
                    await output(frame.Stream, frame.Data, cancellationToken).ConfigureAwait(false);
            }
            return AttachEnd.OutputEnded;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            return AttachEnd.ClientGone;
        }
    }

    /// <returns><see cref="AttachEnd.Detached"/> on the detach keys; <see cref="AttachEnd.OutputEnded"/> when stdin ended (the output goes on).</returns>
    private static async Task<AttachEnd> CopyStdinAsync(MonitorAttach connection, Stream stdin, DetachKeys? keys, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stdin.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                var (pass, detach) = keys is null ? (buffer.AsSpan(0, n).ToArray(), false) : keys.Filter(buffer.AsSpan(0, n));
                if (pass.Length > 0)
                    await connection.SendStdinAsync(pass, cancellationToken).ConfigureAwait(false);
                if (detach)
                    return AttachEnd.Detached;
            }
            await connection.CloseStdinAsync(cancellationToken).ConfigureAwait(false);
            return AttachEnd.OutputEnded;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            return AttachEnd.OutputEnded;
        }
    }
}

/// <summary>An attach waiting for the container's next start (<see cref="AttachService.Reserve"/>); disposing it withdraws it.</summary>
public sealed class AttachReservation : IDisposable
{
    private readonly TaskCompletionSource<MonitorAttach?> _waiter;
    private readonly Action _withdraw;
    private bool _taken;

    internal AttachReservation(TaskCompletionSource<MonitorAttach?> waiter, Action withdraw)
    {
        _waiter = waiter;
        _withdraw = withdraw;
    }

    /// <summary>The connection a start made since the reservation, or null.</summary>
    internal MonitorAttach? TakeIfStarted()
    {
        if (!_waiter.Task.IsCompletedSuccessfully)
            return null;
        _taken = true;
        return _waiter.Task.Result;
    }

    internal async Task<MonitorAttach?> TakeAsync(CancellationToken cancellationToken)
    {
        var connection = await _waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        _taken = true;
        return connection;
    }

    public void Dispose()
    {
        _withdraw();
        // A start that connected an attach nobody took: the connection goes.
        if (!_waiter.TrySetResult(null) && !_taken && _waiter.Task.IsCompletedSuccessfully && _waiter.Task.Result is { } unused)
            unused.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
