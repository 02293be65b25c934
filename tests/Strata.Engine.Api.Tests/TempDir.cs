namespace Strata.Engine.Api.Tests;

/// <summary>A directory deleted when the test ends, whatever happened.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("strata-api-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        // Anything still mounted under it first (the overlay of a container that failed mid-run), innermost first.
        foreach (var mountPoint in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
                     .Where(m => m == Path || m.StartsWith(Path + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length))
        {
            try
            {
                Strata.Linux.LinuxSyscalls.Instance.Unmount(mountPoint, detach: true);
            }
            catch (Strata.Linux.SyscallException)
            {
            }
        }
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
