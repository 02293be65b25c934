using System.Globalization;
using Strata.Linux;
using Strata.Oci.Runtime;

namespace Strata.Runtime.Init;

/// <summary>
/// `strata-runtime exec-init`: a process joining a running container. The native stage has already
/// entered every namespace of the container's init (setns; the mount namespace also sets root and cwd to
/// the container's rootfs) and the parent put it in the container's cgroups. What is left is the
/// process's own setup, the same as the init's last steps, then exec.
/// </summary>
public static class ExecProcess
{
    public static int Main()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(InitProcess.PipeEnvironment), NumberStyles.None, CultureInfo.InvariantCulture, out var fd))
        {
            Console.Error.WriteLine("strata-runtime exec-init is internal: it runs only inside a container, started by exec");
            return 1;
        }
        using var channel = new Channel(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true));
        var request = channel.ReceiveInitRequest();
        var config = channel.ReceiveBytes("config.json");
        var processJson = channel.ReceiveBytes("process.json");
        (string Path, List<string> Args, List<string> Env, SeccompFilter? Seccomp) program;
        try
        {
            request.Spec = SpecLoader.Parse(config, "config.json");
            var process = ParseProcess(processJson);
            // Before the process's own setup, as runc's setns init: a new terminal in the container (no
            // /dev/console bind: that belongs to the init).
            if (ContainerConsole.SocketFromEnvironment() is { } console)
            {
                var size = process.ConsoleSize ?? (request.ConsoleRows > 0 && request.ConsoleColumns > 0
                    ? new Box { Height = request.ConsoleRows, Width = request.ConsoleColumns }
                    : null);
                ContainerConsole.Setup(LinuxSyscalls.Instance, console, size, process.User.Uid, bindDevConsole: false, clearOnlcr: request.ProxiedConsole);
            }
            // libseccomp was loaded by the native stage before it entered the container's mount namespace.
            var seccomp = request.Spec.Linux?.Seccomp is { } profile ? SeccompFilter.Compile(profile) : null;
            program = new InitProcess(LinuxSyscalls.Instance).FinalizeProcess(process, request.PreserveFds, seccomp);
        }
        catch (Exception e)
        {
            channel.Send(new SyncMessage { Type = SyncMessage.Error, Message = e.Message });
            return 1;
        }
        channel.Send(new SyncMessage { Type = SyncMessage.Ready });
        channel.Dispose();
        try
        {
            program.Seccomp?.LoadAndExec(program.Path, program.Args, program.Env);
            Sys.Exec(program.Path, program.Args, program.Env);
        }
        catch (Exception e) when (e is SyscallException or RuntimeException)
        {
            Console.Error.WriteLine($"strata-runtime exec: {e.Message}");
        }
        return 127;
    }

    /// <summary>A process object (config.md "Process") read with the config reader, wrapped as a config.</summary>
    public static Oci.Runtime.Process ParseProcess(ReadOnlySpan<byte> json)
    {
        var wrapped = new byte[json.Length + 13];
        "{\"process\":"u8.CopyTo(wrapped);
        json.CopyTo(wrapped.AsSpan(11));
        wrapped[^2] = (byte)'}';
        wrapped[^1] = (byte)' ';
        var spec = SpecLoader.Parse(wrapped, "process.json");
        var process = spec.Process ?? throw new RuntimeException("process.json: a process object is required");
        if (process.Args is not { Count: > 0 })
            throw new RuntimeException("process.json: args must name the program to run");
        return process;
    }
}
