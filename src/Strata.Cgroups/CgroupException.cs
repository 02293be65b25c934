namespace Strata.Cgroups;

/// <summary>
/// A cgroup operation the kernel refused or the host cannot do. The message names the file, the value and
/// the errno text; <see cref="Errno"/> holds the raw errno when the kernel gave one.
/// </summary>
public sealed class CgroupException : Exception
{
    public CgroupException() { }
    public CgroupException(string message) : base(message) { }
    public CgroupException(string message, Exception inner) : base(message, inner) { }

    public CgroupException(string message, string? path, int? errno, Exception? inner = null) : base(message, inner)
    {
        Path = path;
        Errno = errno;
    }

    /// <summary>The cgroup file or directory involved, if any.</summary>
    public string? Path { get; }

    /// <summary>The errno the kernel returned, if known.</summary>
    public int? Errno { get; }
}
