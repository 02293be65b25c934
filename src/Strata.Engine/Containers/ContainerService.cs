using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Strata.Engine.Store;
using Strata.Images;
using Strata.Images.Snapshots;
using Strata.Images.Store;
using Strata.Linux;

namespace Strata.Engine.Containers;

/// <summary>
/// Daemonless containers, as podman runs them: `run` assembles a bundle under ROOT/containers/ID (an
/// overlay of the image's snapshots, or a copy where overlay is unavailable) and runs strata-runtime in the
/// foreground; `ps` and `rm` read and clean up what it recorded. Each container holds a lease on its image
/// in the image store while it exists, so the image's content outlives its names.
/// </summary>
public sealed class ContainerService : IDisposable
{
    private readonly ImageService _images;
    private readonly ContainerStore _store;
    private readonly string _runtime;

    /// <param name="runtimeBinary">strata-runtime (or any runc-compatible runtime).</param>
    public ContainerService(ImageService images, string runtimeBinary)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentException.ThrowIfNullOrEmpty(runtimeBinary);
        _images = images;
        _runtime = runtimeBinary;
        _store = new ContainerStore(images.Root);
    }

    private string ContainersDir => _store.Location;

    /// <summary>The runtime's state root; per store, so stores in different roots never see each other's containers.</summary>
    public string RuntimeRoot => Path.Combine(_images.Root, "runtime");

    /// <summary>
    /// Finds strata-runtime: $STRATA_RUNTIME, next to the running executable, an artifacts/bin directory
    /// above it (a source checkout), then $PATH.
    /// </summary>
    public static string? FindRuntime()
    {
        if (Environment.GetEnvironmentVariable("STRATA_RUNTIME") is { Length: > 0 } env)
        {
            return env;
        }
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, "strata-runtime") };
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, "artifacts", "bin", "strata-runtime"));
        }
        foreach (var p in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            candidates.Add(Path.Combine(p, "strata-runtime"));
        }
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>Creates and runs a container in the foreground; returns its exit status (128+signal when killed).</summary>
    public async Task<int> RunAsync(RunOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Shared until the rootfs is mounted: from loading the image to the container record, and while
        // snapshots are unpacked, a prune must neither sweep the image's content nor the unpack's temporary
        // directories. Released before the container runs; its record keeps its image in use from then on.
        var storeLock = StoreLock.Shared(_images.Root);
        Image image;
        EngineContainer record;
        string id, dir, bundle, rootfs;
        try
        {
            image = _images.Load(options.Image);
            id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            var name = options.Name ?? "strata-" + id[..8];
            dir = Path.Combine(ContainersDir, id);
            bundle = Path.Combine(dir, "bundle");
            rootfs = Path.Combine(bundle, "rootfs");
            record = new EngineContainer(id, name, image.Record.Name, image.Record.Manifest,
                string.Join(' ', options.Command.Count > 0 ? options.Command : image.Config.Config?.Cmd ?? []),
                DateTimeOffset.UtcNow, ContainerState.Created, null, null, null,
                SnapshotStoreOverlay ? "overlay" : "copy");
            Directory.CreateDirectory(rootfs);
            // The lease first: a container record never exists without its image protected.
            _images.Metadata.PutLease(new ImageLease(record.LeaseId, record.Manifest, $"container {record.Name}"));
            try
            {
                _store.Put(record);
            }
            catch
            {
                _images.Metadata.DeleteLease(record.LeaseId);
                Directory.Delete(dir, recursive: true);
                throw;
            }
        }
        catch
        {
            storeLock.Dispose();
            throw;
        }
        var mounted = false;
        try
        {
            if (SnapshotStoreOverlay)
            {
                var layers = await _images.Snapshots.EnsureAsync(image.Manifest, image.Config, cancellationToken).ConfigureAwait(false);
                Rootfs.MountOverlay(dir, rootfs, layers);
                mounted = true;
            }
            else
            {
                await _images.Snapshots.FlattenAsync(image.Manifest, image.Config, rootfs, cancellationToken).ConfigureAwait(false);
            }
            storeLock.Dispose();
            var spec = BundleSpec.Create(image.Config, options, rootfs, id[..12]);
            AtomicFile.Write(Path.Combine(bundle, Strata.Oci.Runtime.SpecLoader.ConfigFileName), Encoding.UTF8.GetBytes(Strata.Oci.Runtime.SpecLoader.Serialize(spec)));
            var exit = options.Tty
                ? await RunWithTerminalAsync(record, bundle, options.Interactive, cancellationToken).ConfigureAwait(false)
                : await RunRuntimeAsync(record, bundle, options.Interactive, cancellationToken).ConfigureAwait(false);
            return exit;
        }
        finally
        {
            storeLock.Dispose();
            if (mounted)
            {
                Rootfs.TryUnmount(rootfs);
            }
            if (options.Remove)
            {
                RemoveFiles(record);
                Forget(record);
            }
        }
    }

    /// <summary>The containers, newest first; without <paramref name="all"/> only running ones (`ps` without -a).</summary>
    public IReadOnlyList<EngineContainer> List(bool all = true) =>
        _store.List().Select(Refresh).Where(c => all || c.State == ContainerState.Running).ToList();

    /// <summary>Removes a stopped container (or, with <paramref name="force"/>, kills a running one first).</summary>
    public EngineContainer Remove(string nameOrId, bool force)
    {
        var record = _store.Find(nameOrId)
            ?? throw new EngineException(EngineErrorCode.ContainerNotFound, $"no container named '{nameOrId}'");
        record = Refresh(record);
        if (record.State == ContainerState.Running)
        {
            if (!force)
            {
                throw new EngineException(EngineErrorCode.ContainerRunning, $"container {record.Name} is running: stop it or use --force");
            }
            RunRuntimeQuietly("kill", record.Id, "KILL");
            if (record.Pid is { } pid)
            {
                Sys.Kill(pid, 9);
            }
        }
        RemoveFiles(record);
        Forget(record);
        return record;
    }

    public void Dispose() => _store.Dispose();

    private static bool SnapshotStoreOverlay => SnapshotStore.OverlaySupported;

    /// <summary>The record, then the lease: a crash between leaves a lease that only keeps an image, never a container without one.</summary>
    private void Forget(EngineContainer record)
    {
        _store.Delete(record.Id);
        _images.Metadata.DeleteLease(record.LeaseId);
    }

    /// <summary>A record says Running only while the runtime process it names (pid and start time) lives.</summary>
    private static EngineContainer Refresh(EngineContainer record)
    {
        if (record.State != ContainerState.Running)
        {
            return record;
        }
        var alive = record.Pid is { } pid && ProcStat.TryRead(pid) is { } stat && !stat.IsZombieOrDead && stat.StartTime == record.PidStartTime;
        return alive ? record : record with { State = ContainerState.Exited };
    }

    /// <summary>`strata-runtime run` in the foreground; stdin reaches the container only with -i (docker's rule).</summary>
    private async Task<int> RunRuntimeAsync(EngineContainer record, string bundle, bool interactive, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(_runtime) { UseShellExecute = false, RedirectStandardInput = !interactive };
        foreach (var arg in new[] { "--root", RuntimeRoot, "run", "--bundle", bundle, record.Id })
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info) ?? throw new EngineException(EngineErrorCode.Unknown, $"could not start {_runtime}");
        if (!interactive)
        {
            // Without -i the container reads end of input at once, as with docker's /dev/null.
            process.StandardInput.Close();
        }
        var start = ProcStat.TryRead(process.Id)?.StartTime;
        _store.Put(record with { State = ContainerState.Running, Pid = process.Id, PidStartTime = start });
        // strata-runtime forwards signals to the container; strata stays alive to record the exit and clean up.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; Sys.Kill(process.Id, 2); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; Sys.Kill(process.Id, 15); });
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Sys.Kill(process.Id, 15);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        var exit = process.ExitCode;
        _store.Put(record with { State = ContainerState.Exited, ExitCode = exit, Pid = null, PidStartTime = null });
        return exit;
    }

    /// <summary>
    /// -t: the container gets a terminal the way engines get one from runc. strata listens on a console
    /// socket, `strata-runtime create --console-socket` sends it the pty master, and strata proxies it to its
    /// own stdio (the caller's terminal raw and sized, resized on SIGWINCH; stdin only with -i). strata is a
    /// child subreaper, so the container's init becomes its child when create exits and its status is ours
    /// to wait for, as conmon does.
    /// </summary>
    private async Task<int> RunWithTerminalAsync(EngineContainer record, string bundle, bool interactive, CancellationToken cancellationToken)
    {
        Sys.SetChildSubreaper();
        var socketPath = Path.Combine(Path.GetTempPath(), $"strata-{record.Id[..12]}.sock");
        var pidFile = Path.Combine(ContainersDir, record.Id, "init.pid");
        File.Delete(socketPath);
        HostConsole? host = null;
        TerminalProxy? proxy = null;
        try
        {
            using (var listener = UnixSocket.Listen(socketPath))
            {
                var create = await RunRuntimeCommandAsync(cancellationToken, "create", "--bundle", bundle, "--console-socket", socketPath, "--pid-file", pidFile, record.Id).ConfigureAwait(false);
                if (create != 0)
                {
                    _store.Put(record with { State = ContainerState.Exited, ExitCode = create });
                    return create;
                }
                // The runtime connected and the init sent the master before create returned.
                using var connection = UnixSocket.Accept(listener, 5000)
                    ?? throw new EngineException(EngineErrorCode.Unknown, "strata-runtime created the container but never connected to the console socket");
                var (master, _) = UnixSocket.ReceiveFd(connection);
                try
                {
                    host = HostConsole.Find();
                }
                catch (SyscallException)
                {
                    host = null; // not in front of a terminal: output is still copied
                }
                proxy = new TerminalProxy(master, host, forwardStdin: interactive);
            }
            var initPid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            _store.Put(record with { State = ContainerState.Running, Pid = initPid, PidStartTime = ProcStat.TryRead(initPid)?.StartTime });
            var exited = Task.Factory.StartNew(() => WaitForExit(initPid), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            // Proxying starts before the process does, so none of its output is lost.
            proxy.Start();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; Sys.Kill(initPid, 2); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; Sys.Kill(initPid, 15); });
            var start = await RunRuntimeCommandAsync(CancellationToken.None, "start", record.Id).ConfigureAwait(false);
            if (start != 0)
            {
                Sys.Kill(initPid, 9);
            }
            int exit;
            try
            {
                exit = await exited.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Sys.Kill(initPid, 15);
                exit = await exited.ConfigureAwait(false);
            }
            proxy.Finish(TimeSpan.FromSeconds(2));
            _store.Put(record with { State = ContainerState.Exited, ExitCode = exit, Pid = null, PidStartTime = null });
            return exit;
        }
        finally
        {
            proxy?.Dispose();
            host?.Dispose();
            File.Delete(socketPath);
            RunRuntimeQuietly("delete", "--force", record.Id);
        }
    }

    /// <summary>Waits for a child (the init, re-parented to this subreaper); the shell-style status.</summary>
    private static int WaitForExit(int pid)
    {
        while (true)
        {
            if (Sys.WaitPid(pid) is { } status && status.Pid == pid && (status.Exited || status.Signaled))
            {
                return status.ShellExitCode;
            }
        }
    }

    /// <summary>A runtime command with strata's stdout and stderr (its errors reach the user), stdin closed.</summary>
    private async Task<int> RunRuntimeCommandAsync(CancellationToken cancellationToken, params string[] args)
    {
        var info = new ProcessStartInfo(_runtime) { UseShellExecute = false, RedirectStandardInput = true };
        info.ArgumentList.Add("--root");
        info.ArgumentList.Add(RuntimeRoot);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info) ?? throw new EngineException(EngineErrorCode.Unknown, $"could not start {_runtime}");
        process.StandardInput.Close();
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return process.ExitCode;
    }

    private void RemoveFiles(EngineContainer record)
    {
        var dir = Path.Combine(ContainersDir, record.Id);
        var rootfs = Path.Combine(dir, "bundle", "rootfs");
        Rootfs.TryUnmount(rootfs);
        RunRuntimeQuietly("delete", "--force", record.Id);
        if (Directory.Exists(dir))
        {
            if (Rootfs.IsMountPoint(rootfs))
            {
                throw new EngineException(EngineErrorCode.InUse, $"{rootfs} is still mounted; not deleting it");
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    private void RunRuntimeQuietly(params string[] args)
    {
        var info = new ProcessStartInfo(_runtime) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("--root");
        info.ArgumentList.Add(RuntimeRoot);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        try
        {
            using var p = Process.Start(info);
            p?.StandardOutput.ReadToEnd();
            p?.StandardError.ReadToEnd();
            p?.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }
}
