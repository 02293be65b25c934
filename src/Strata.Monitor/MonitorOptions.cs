namespace Strata.Monitor;

/// <summary>
/// strata-monitor's command line. The engine is its only caller:
/// <code>strata-monitor --runtime PATH --runtime-root DIR --id ID --bundle DIR --dir DIR --log-path FILE [--tty] [--sync-fd N]</code>
/// </summary>
internal sealed class MonitorOptions
{
    public string Runtime { get; private set; } = "";
    public string RuntimeRoot { get; private set; } = "";
    public string Id { get; private set; } = "";
    public string Bundle { get; private set; } = "";

    /// <summary>The container's directory: init.pid, runtime.log and the exit file go here.</summary>
    public string Dir { get; private set; } = "";

    /// <summary>The container's json-file log.</summary>
    public string LogPath { get; private set; } = "";

    public bool Tty { get; private set; }

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
                case "--sync-fd": o.SyncFd = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        foreach (var (name, value) in new[] { ("--runtime", o.Runtime), ("--runtime-root", o.RuntimeRoot), ("--id", o.Id), ("--bundle", o.Bundle), ("--dir", o.Dir), ("--log-path", o.LogPath) })
        {
            if (value.Length == 0)
                throw new ArgumentException($"{name} is required");
        }
        return o;
    }
}
