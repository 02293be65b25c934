namespace Strata.Engine;

/// <summary>What went wrong, stable enough for callers (the command line, the API later) to branch on.</summary>
public enum EngineErrorCode
{
    Unknown,

    /// <summary>A request the engine cannot carry out as asked (a bad flag value, an image with no command).</summary>
    InvalidArgument,
    ContainerNotFound,
    ContainerRunning,
    ContainerNotRunning,

    /// <summary>The name is another container's.</summary>
    NameInUse,

    /// <summary>Something still uses what was to be removed (a mount, a volume a container references).</summary>
    InUse,

    NetworkNotFound,

    /// <summary>A network of that name exists.</summary>
    NetworkNameInUse,

    /// <summary>Forbidden: removing a predefined network or one with endpoints, a subnet overlapping another network's.</summary>
    Forbidden,

    /// <summary>A published host port is taken.</summary>
    PortAllocated,

    /// <summary>A named thing other than a container does not exist (a volume, a volume driver).</summary>
    NotFound,

    ImageNotFound,

    /// <summary>The container is not in a state the operation needs (not running, not paused, being removed): docker's 409.</summary>
    Conflict,

    /// <summary>Nothing to do: it is already so (start of a started container, stop of a stopped one): docker's 304.</summary>
    NotModified,
}

/// <summary>A failure of a container operation.</summary>
public sealed class EngineException : Exception
{
    public EngineException(EngineErrorCode code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    public EngineException() { }
    public EngineException(string message) : base(message) { }
    public EngineException(string message, Exception inner) : base(message, inner) { }

    public EngineErrorCode Code { get; }
}
