using Microsoft.Win32.SafeHandles;
using Strata.Linux;

namespace Strata.Images.Store;

/// <summary>
/// The store-wide lock, ROOT/store.lock, held with flock(2). Everything that writes content a name or a
/// container will reference only later (a pull between its first blob and its name, a load, a run's unpack
/// before its container record) holds it shared; prune holds it exclusive, so it never sees a blob or a
/// snapshot that is about to become referenced as garbage, and never deletes a temporary directory another
/// process is still filling. Like containerd's leases, but coarse: prune waits for pulls to finish, pulls
/// wait for a running prune. The kernel drops the lock when the holder dies, so a crash never wedges the store.
/// </summary>
public sealed class StoreLock : IDisposable
{
    private readonly SafeFileHandle _handle;

    private StoreLock(SafeFileHandle handle) => _handle = handle;

    public static string PathIn(string root) => Path.Combine(root, "store.lock");

    /// <summary>Creates the lock file with the store, so it exists from the store's first use on.</summary>
    public static void EnsureExists(string root) => Sys.Open(PathIn(root), OpenFlags.ReadWrite | OpenFlags.Create, (UnixFileMode)0b110_000_000).Dispose();

    /// <summary>Waits for and takes the lock shared: for work that adds content.</summary>
    public static StoreLock Shared(string root) => Take(root, exclusive: false);

    /// <summary>Waits for and takes the lock exclusive: for work that deletes unreferenced content.</summary>
    public static StoreLock Exclusive(string root) => Take(root, exclusive: true);

    public void Dispose() => _handle.Dispose();

    private static StoreLock Take(string root, bool exclusive)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        var handle = Sys.Open(PathIn(root), OpenFlags.ReadWrite | OpenFlags.Create, (UnixFileMode)0b110_000_000);
        try
        {
            Sys.Flock(handle, exclusive);
            return new StoreLock(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }
}
