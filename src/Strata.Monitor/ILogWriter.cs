namespace Strata.Monitor;

/// <summary>Where a container's output goes. One implementation today (<see cref="JsonFileLogWriter"/>); swapping it is one line in Program.</summary>
internal interface ILogWriter : IDisposable
{
    /// <summary>A chunk read from the container's stdout or stderr; thread-safe (both streams write concurrently).</summary>
    void Write(string stream, ReadOnlySpan<byte> data);

    /// <summary>Writes what is left of a partial line of <paramref name="stream"/> (at end of output).</summary>
    void Flush(string stream);
}
