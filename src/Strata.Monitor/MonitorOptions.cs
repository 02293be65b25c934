using System.Globalization;

namespace Strata.Monitor;

/// <summary>
/// strata-monitor's command line. The engine is its only caller. A container:
/// <code>strata-monitor --runtime PATH --runtime-root DIR --id ID --bundle DIR --dir DIR --log-path FILE [--tty] [--stdin [--stdin-once]] [--log-max-size BYTES] [--log-max-file N] [--sync-fd N]</code>
/// An exec with a terminal (as podman runs exec through conmon: the monitor is the process's subreaper and
/// holds its terminal's master):
/// <code>strata-monitor --exec --runtime PATH --runtime-root DIR --id CONTAINER --process FILE --dir DIR [--sync-fd N]</code>
/// </summary>
internal sealed class MonitorOptions
{
    public string Runtime { get; private set; } = "";
    public string RuntimeRoot { get; private set; } = "";
    public string Id { get; private set; } = "";
    public string Bundle { get; private set; } = "";

    /// <summary>The container's directory (or the exec's): init.pid, runtime.log, the exit file and the attach socket go here.</summary>
    public string Dir { get; private set; } = "";

    /// <summary>The container's json-file log.</summary>
    public string LogPath { get; private set; } = "";

    public bool Tty { get; private set; }

    /// <summary>docker's OpenStdin: the container's stdin is a pipe the attach socket writes to (without a terminal).</summary>
    public bool Stdin { get; private set; }

    /// <summary>docker's StdinOnce: the first attached client that ends its stdin closes the container's.</summary>
    public bool StdinOnce { get; private set; }

    /// <summary>json-file's max-size in bytes; null: no rotation.</summary>
    public long? LogMaxSize { get; private set; }

    /// <summary>json-file's max-file.</summary>
    public int LogMaxFile { get; private set; } = 1;

    /// <summary>Exec mode: runs the runtime's exec --detach of <see cref="ProcessFile"/> with a terminal.</summary>
    public bool Exec { get; private set; }

    public string ProcessFile { get; private set; } = "";

    /// <summary>Where the engine reads "ok PID" or "error MESSAGE" once the runtime's create has finished.</summary>
    public int SyncFd { get; private set; } = 3;

    public string PidFile => Path.Combine(Dir, "init.pid");

    public string RuntimeLog => Path.Combine(Dir, "runtime.log");

    public string ExitFile => Path.Combine(Dir, Monitor.ExitFile.Name);

    public static MonitorOptions Parse(string[] args)
    {
        var o = new MonitorOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--runtime": o.Runtime = Value(); break;
                case "--runtime-root": o.RuntimeRoot = Value(); break;
                case "--id": o.Id = Value(); break;
                case "--bundle": o.Bundle = Value(); break;
                case "--dir": o.Dir = Value(); break;
                case "--log-path": o.LogPath = Value(); break;
                case "--tty": o.Tty = true; break;
                case "--stdin": o.Stdin = true; break;
                case "--stdin-once": o.StdinOnce = true; break;
                case "--log-max-size": o.LogMaxSize = Number(Value(), "--log-max-size"); break;
                case "--log-max-file": o.LogMaxFile = (int)Number(Value(), "--log-max-file"); break;
                case "--exec": o.Exec = true; break;
                case "--process": o.ProcessFile = Value(); break;
                case "--sync-fd": o.SyncFd = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        var required = o.Exec
            ? new[] { ("--runtime", o.Runtime), ("--runtime-root", o.RuntimeRoot), ("--id", o.Id), ("--dir", o.Dir), ("--process", o.ProcessFile) }
            : [("--runtime", o.Runtime), ("--runtime-root", o.RuntimeRoot), ("--id", o.Id), ("--bundle", o.Bundle), ("--dir", o.Dir), ("--log-path", o.LogPath)];
        foreach (var (name, value) in required)
        {
            if (value.Length == 0)
                throw new ArgumentException($"{name} is required");
        }
        if (o.Exec && !o.Tty)
            throw new ArgumentException("--exec runs a process with a terminal: --tty is required");
        return o;
    }

    private static long Number(string text, string name) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name} needs a positive number, not '{text}'");
}
