using Strata.Linux;

namespace Strata.Engine.Tests;

/// <summary>
/// A directory deleted when the test ends, whatever happened: first anything still mounted under it (the
/// overlay of a container that failed mid-run), innermost first.
/// </summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("strata-engine-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        foreach (var mountPoint in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
                     .Where(m => m == Path || m.StartsWith(Path + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length))
        {
            try
            {
                LinuxSyscalls.Instance.Unmount(mountPoint, detach: true);
            }
            catch (SyscallException)
            {
            }
        }
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
