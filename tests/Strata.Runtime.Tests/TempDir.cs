namespace Strata.Runtime.Tests;

/// <summary>A temporary directory removed with everything under it (symlinks are removed, not followed).</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("strata-rt-").FullName;

    public string Path { get; }

    /// <summary>The absolute path of <paramref name="relative"/> ("a/b") under the directory.</summary>
    public string P(string relative) => Path + "/" + relative.TrimStart('/');

    public string Dir(string relative) => Directory.CreateDirectory(P(relative)).FullName;

    public string File(string relative, string content = "", UnixFileMode? mode = null)
    {
        var path = P(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        if (mode is { } m)
            System.IO.File.SetUnixFileMode(path, m);
        return path;
    }

    public string Symlink(string relative, string target)
    {
        var path = P(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.CreateSymbolicLink(path, target);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
