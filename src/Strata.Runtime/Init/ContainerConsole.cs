using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Strata.Linux;
using Strata.Oci.Runtime;

namespace Strata.Runtime.Init;

/// <summary>
/// `process.terminal`: a new pty inside the container, its master sent over the console socket, its slave
/// the process's stdio and controlling terminal — runc's setupConsole (libcontainer/init_linux.go), step
/// for step, so engines that receive runc's console (conmon, containerd's shim) receive ours.
/// </summary>
public static class ContainerConsole
{
    /// <summary>Names the fd of the console socket in the init's (or exec-init's) environment.</summary>
    public const string SocketEnvironment = "_STRATA_CONSOLE";

    /// <summary>What runc sends as the message's data: the master's name (containerd/console's File().Name()).</summary>
    public const string MasterName = "/dev/ptmx";

    /// <summary>The console socket the parent passed, if any.</summary>
    public static SafeFileHandle? SocketFromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(SocketEnvironment);
        if (string.IsNullOrEmpty(value))
            return null;
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var fd)
            ? new SafeFileHandle(fd, ownsHandle: true)
            : throw new RuntimeException($"init protocol: bad {SocketEnvironment} {value}");
    }

    /// <summary>
    /// Runs in the container after its rootfs is in place (after pivot_root, before /dev and / are made
    /// read-only): the ptmx opened is the container's devpts instance. <paramref name="bindDevConsole"/>
    /// bind-mounts the slave on /dev/console, as runc does for the init (not for exec).
    /// </summary>
    public static void Setup(ISyscalls sys, SafeFileHandle socket, Box? size, uint uid, bool bindDevConsole, bool clearOnlcr = false)
    {
        ArgumentNullException.ThrowIfNull(sys);
        ArgumentNullException.ThrowIfNull(socket);
        // A session of its own (runc's nsexec does this for every init), so the slave can become its
        // controlling terminal.
        Pty.NewSession();
        using (socket)
        {
            var (master, slavePath) = Pty.OpenMaster(MasterName);
            using (master)
            {
                // runc applies consoleSize only when both are set, cut to struct winsize's 16 bits.
                if (size is { Height: > 0, Width: > 0 })
                    Pty.SetWindowSize(master, new WindowSize(unchecked((ushort)size.Height), unchecked((ushort)size.Width)));
                if (clearOnlcr)
                    Pty.ClearOnlcr(master);
                if (bindDevConsole)
                    BindDevConsole(sys, slavePath);
                UnixSocket.SendFd(socket, MasterName, master);
            }
            using var slave = Sys.Open(slavePath, OpenFlags.ReadWrite);
            Pty.DupOnto(slave, 0, 1, 2);
        }
        Pty.SetControllingTerminalFromStdin();
        // The user the process runs as must be able to use its own terminal (runc's fixStdioPermissions):
        // uid only, the devpts gid= option decides the group. Refusals are ignored, as runc does.
        if (uid != 0)
            Pty.TryChangeOwner(0, uid);
    }

    /// <summary>runc's mountConsole: /dev/console (created 0666 if missing) is a bind mount of the slave.</summary>
    private static void BindDevConsole(ISyscalls sys, string slavePath)
    {
        const string console = "/dev/console";
        if (!File.Exists(console))
        {
            using (File.Create(console))
            {
            }
            File.SetUnixFileMode(console, (UnixFileMode)0x1B6 /* 0666 */);
        }
        sys.Mount(slavePath, console, "bind", MountFlags.Bind, null);
    }
}
