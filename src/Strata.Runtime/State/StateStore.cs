using System.Text.Json;
using Strata.Linux;

namespace Strata.Runtime.State;

/// <summary>
/// Container state under --root: one directory per container holding state.json and, between create
/// and start, the exec fifo. Every write is a temp file and a rename, so a reader or a crash sees either the
/// old or the new state, never a torn one. Not fsync'ed (as runc): the containers a state file describes do
/// not outlive a reboot, and the default root is a tmpfs.
/// </summary>
public sealed class StateStore
{
    /// <summary>
    /// /run/strata-runtime; for an unprivileged caller with XDG_RUNTIME_DIR set, $XDG_RUNTIME_DIR/strata-runtime,
    /// as runc does rootless (/run is root's).
    /// </summary>
    public static string DefaultRoot =>
        Strata.Linux.Sys.EffectiveUserId != 0 && Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } xdg
            ? Path.Combine(xdg, "strata-runtime")
            : "/run/strata-runtime";
    private const string StateFile = "state.json";
    public const string ExecFifo = "exec.fifo";

    public StateStore(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }

    public string DirectoryOf(string id) => Path.Combine(Root, id);

    public string FifoOf(string id) => Path.Combine(Root, id, ExecFifo);

    /// <summary>Creates the container's directory; the mkdir is the atomic claim on the id.</summary>
    public string Reserve(string id)
    {
        ContainerId.Validate(id);
        var dir = DirectoryOf(id);
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        try
        {
            // mkdir(2), not Directory.CreateDirectory: the latter succeeds on an existing directory, so two
            // concurrent creates of one id would both pass an Exists check and share the directory. The root
            // is made only when it is missing, which the first mkdir says (one call in the usual case).
            bool made;
            try
            {
                made = Sys.Mkdir(dir, mode);
            }
            catch (SyscallException e) when (e.Errno == Errno.ENOENT)
            {
                Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                made = Sys.Mkdir(dir, mode);
            }
            if (!made)
                throw new RuntimeException($"container with id exists: {id}");
            return dir;
        }
        catch (Exception e) when (e is IOException or SyscallException)
        {
            throw new RuntimeException($"cannot create state directory {dir}: {e.Message}", e);
        }
    }

    public bool Exists(string id) => File.Exists(Path.Combine(DirectoryOf(id), StateFile));

    public ContainerRecord? TryLoad(string id)
    {
        ContainerId.Validate(id);
        var path = Path.Combine(DirectoryOf(id), StateFile);
        byte[] bytes;
        try
        {
            // Checked first: a missing container is the common case of create, and an exception costs more
            // than the stat. The catch still covers a delete racing this read.
            if (!File.Exists(path))
                return null;
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        try
        {
            return ContainerRecord.FromJson(bytes);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new RuntimeException($"corrupt state file {path}: {e.Message}", e);
        }
    }

    public ContainerRecord Load(string id) => TryLoad(id) ?? throw new RuntimeException("container does not exist");

    public IEnumerable<string> ListIds()
    {
        if (!Directory.Exists(Root))
            return [];
        return Directory.EnumerateDirectories(Root)
            .Where(d => File.Exists(Path.Combine(d, StateFile)))
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal);
    }

    public void Save(ContainerRecord record) => Save(record.Id, record.ToJson());

    /// <summary>Writes a record serialized beforehand (<see cref="ContainerRecord.ToJson"/>).</summary>
    public void Save(string id, byte[] json) =>
        AtomicFile.Write(Path.Combine(DirectoryOf(id), StateFile), json, durable: false);

    /// <summary>The files a container's directory holds; anything else there is removed the slow way.</summary>
    private static readonly string[] KnownFiles = [StateFile, ConfigCopy, ExecFifo];

    /// <summary>The bundle's config.json as create read it, for start's and delete's hooks.</summary>
    public const string ConfigCopy = "config.json";

    public void Remove(string id)
    {
        var dir = DirectoryOf(id);
        try
        {
            // The files it is known to hold, then the directory: a recursive delete enumerates it, and costs a
            // `run` about a millisecond of first-use work for three unlinks.
            foreach (var name in KnownFiles)
                Sys.Unlink(Path.Combine(dir, name));
            if (Sys.Rmdir(dir))
                return;
        }
        catch (SyscallException e) when (e.Errno is Errno.ENOTDIR or Errno.EISDIR)
        {
            // Not what create made: leave it to the general case.
        }
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
    }
}
