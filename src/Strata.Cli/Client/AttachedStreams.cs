using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Strata.Engine.ContainerIo;
using Strata.Linux;
using Strata.Logs;

namespace Strata.Cli.Client;

/// <summary>
/// The caller's stdio joined to a hijacked attach or exec stream, as the docker CLI's hijack.go does: output
/// copied raw for a terminal, demultiplexed (Strata.Logs' stdcopy framing) otherwise; stdin copied until its
/// end, then the write side half-closed so the container reads EOF. With a terminal on stdin and -t, the
/// caller's terminal is raw for the session and its size is sent now and on every SIGWINCH.
/// </summary>
public static class AttachedStreams
{
    /// <summary>
    /// Returns when the engine ends the output (the process exited, or the engine saw the detach keys), or when
    /// the caller typed the detach keys on a terminal (true: detached, the container goes on).
    /// </summary>
    public static async Task<bool> CopyAsync(HijackedStream stream, bool tty, bool attachStdin, Func<ushort, ushort, Task>? resize, string? detachKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        DetachKeys? keys = null;
        if (tty && attachStdin && !DetachKeys.TryParse(detachKeys, out keys, out var keysError))
        {
            throw new FormatException(keysError);
        }
        var detached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stdinHandle = new SafeFileHandle(0, ownsHandle: false);
        var terminal = tty && attachStdin && Pty.IsTerminal(stdinHandle);
        byte[]? saved = null;
        PosixSignalRegistration? winch = null;
        try
        {
            if (terminal)
            {
                saved = Pty.MakeRaw(stdinHandle);
            }
            if (tty && resize is not null)
            {
                await SendSizeAsync(resize).ConfigureAwait(false);
                winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, context =>
                {
                    context.Cancel = true;
                    _ = SendSizeAsync(resize);
                });
            }
            await using var stdout = StandardStream(1);
            await using var stderr = StandardStream(2);
            if (attachStdin)
            {
                // A thread of its own: a read of the caller's stdin cannot be cancelled, and the process exits
                // with the container whether or not it returns.
                _ = Task.Factory.StartNew(() => CopyStdin(stream, keys, detached), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
            var output = tty ? stream.CopyToAsync(stdout, cancellationToken) : DemultiplexAsync(stream, stdout, stderr, cancellationToken);
            if (await Task.WhenAny(output, detached.Task).ConfigureAwait(false) == detached.Task)
            {
                return true;
            }
            await output.ConfigureAwait(false);
            return false;
        }
        finally
        {
            winch?.Dispose();
            if (saved is not null)
            {
                Pty.Restore(stdinHandle, saved);
            }
        }
    }

    /// <summary>
    /// fd 1 or 2 as a plain stream: Console's own streams put the terminal in keypad mode (an escape sequence
    /// written ahead of the first byte), which would land in the middle of the container's output.
    /// </summary>
    public static Stream StandardStream(int fd) => new DescriptorStream(new SafeFileHandle(fd, ownsHandle: false));

    /// <summary>
    /// Writes with write(2), at the descriptor's own offset. A FileStream on a regular file writes with
    /// pwrite(2) at a position of its own and leaves the shared offset where it was, so in
    /// `{ strata run IMAGE echo a; echo b; } &gt;out` the shell's "b" overwrote the container's output.
    /// </summary>
    private sealed class DescriptorStream(SafeFileHandle handle) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                Sys.WriteAll(handle, buffer);
            }
            catch (SyscallException e)
            {
                throw new IOException(e.Message, e);
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            // A write to a terminal, pipe or file: short, and blocking only as the reader does.
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>stdcopy.StdCopy: each frame to its stream; a daemon error frame ends the copy with its message.</summary>
    public static async Task DemultiplexAsync(Stream input, Stream stdout, Stream stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        while (await StdCopy.ReadFrameAsync(input, cancellationToken).ConfigureAwait(false) is { } frame)
        {
            switch (frame.Stream)
            {
                case StdStream.Stdout:
                case StdStream.Stdin:
                    await stdout.WriteAsync(frame.Payload, cancellationToken).ConfigureAwait(false);
                    await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case StdStream.Stderr:
                    await stderr.WriteAsync(frame.Payload, cancellationToken).ConfigureAwait(false);
                    await stderr.FlushAsync(cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new DaemonException(500, System.Text.Encoding.UTF8.GetString(frame.Payload).TrimEnd('\n'));
            }
        }
    }

    private static void CopyStdin(HijackedStream stream, DetachKeys? keys, TaskCompletionSource detached)
    {
        try
        {
            using var stdin = Console.OpenStandardInput();
            var buffer = new byte[32 * 1024];
            int n;
            while ((n = stdin.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (keys is not null)
                {
                    // docker's escape proxy: the sequence is not sent, and ends the attach here.
                    var (pass, detach) = keys.Filter(buffer.AsSpan(0, n));
                    stream.Write(pass);
                    stream.Flush();
                    if (detach)
                    {
                        detached.TrySetResult();
                        return;
                    }
                    continue;
                }
                stream.Write(buffer, 0, n);
                stream.Flush();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The engine closed the stream: the container is gone.
        }
        stream.CloseWrite();
    }

    private static async Task SendSizeAsync(Func<ushort, ushort, Task> resize)
    {
        try
        {
            using var console = HostConsole.Find();
            if (console.TryGetWindowSize() is { } size)
            {
                await resize(size.Rows, size.Columns).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SyscallException or DaemonException or HttpRequestException or IOException)
        {
            // No terminal to size, or the container is gone: docker ignores resize failures too.
        }
    }
}
