using Strata.Logs;

namespace Strata.Engine.Exec;

/// <summary>POST /containers/{id}/exec's body, as the engine keeps it (moby's container.ExecConfig).</summary>
public sealed record ExecConfig
{
    public IReadOnlyList<string> Cmd { get; init; } = [];

    /// <summary>KEY=VALUE, over the container's own environment.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>Empty: the container's working directory.</summary>
    public string WorkingDir { get; init; } = "";

    /// <summary>uid[:gid] or name[:group]; empty: the container's user.</summary>
    public string User { get; init; } = "";

    public bool Tty { get; init; }

    public bool Privileged { get; init; }

    public bool AttachStdin { get; init; }

    public bool AttachStdout { get; init; }

    public bool AttachStderr { get; init; }

    /// <summary>The terminal's initial size (rows, columns), as ConsoleSize sends it.</summary>
    public WindowSizeRequest? ConsoleSize { get; init; }
}

/// <summary>A terminal size in character cells.</summary>
public readonly record struct WindowSizeRequest(ushort Rows, ushort Columns);

/// <summary>What an exec needs of its container.</summary>
/// <param name="Bundle">The bundle whose config.json holds the container's process (env, cwd, user, capabilities).</param>
/// <param name="RuntimeRoot">The runtime's --root the container lives under.</param>
public sealed record ExecContainer(string Id, string Name, string Image, string Bundle, string RuntimeRoot, bool Running);

/// <summary>Where a started exec's output goes: the stream it came from and the bytes (the stream is stdout with a terminal).</summary>
public delegate ValueTask ExecOutput(StdStream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
