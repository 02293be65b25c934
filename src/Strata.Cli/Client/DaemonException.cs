namespace Strata.Cli.Client;

/// <summary>An error the engine answered with: its HTTP status and docker's <c>{"message": ...}</c>.</summary>
public sealed class DaemonException : Exception
{
    public DaemonException(int status, string message)
        : base(message)
    {
        Status = status;
    }

    public DaemonException()
    {
    }

    public DaemonException(string message)
        : base(message)
    {
    }

    public DaemonException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public int Status { get; }
}

/// <summary>The engine could not be reached at all (docker's "Cannot connect to the Docker daemon").</summary>
public sealed class EngineUnreachableException : Exception
{
    public EngineUnreachableException(EngineHost host, Exception inner)
        : base($"Cannot connect to the Strata daemon at {host}. Is the daemon running?", inner)
    {
    }

    public EngineUnreachableException()
    {
    }

    public EngineUnreachableException(string message)
        : base(message)
    {
    }

    public EngineUnreachableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
