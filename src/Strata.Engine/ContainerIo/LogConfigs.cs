using Strata.Engine.Containers;
using Strata.Logs;

namespace Strata.Engine.ContainerIo;

/// <summary>HostConfig.LogConfig as dockerd's json-file driver takes it (the only driver served): rotation options, docker's 400s otherwise.</summary>
public static class LogConfigs
{
    /// <summary>The json-file options of <paramref name="config"/>; <see cref="EngineErrorCode.InvalidArgument"/> with dockerd's message for an unknown driver or option.</summary>
    public static LogFileOptions Parse(LogConfig? config)
    {
        if (config is null)
            return new LogFileOptions();
        if (config.Type is not ("" or "json-file"))
            throw new EngineException(EngineErrorCode.InvalidArgument, $"logger: no log driver named '{config.Type}' is registered");
        if (!LogFileOptions.TryParse(config.Config, out var options, out var error))
            throw new EngineException(EngineErrorCode.InvalidArgument, error);
        return options;
    }

    /// <summary>strata-monitor's arguments for <paramref name="options"/>.</summary>
    public static IEnumerable<string> MonitorArguments(LogFileOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxSize is { } size)
        {
            yield return "--log-max-size";
            yield return size.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (options.MaxFiles > 1)
        {
            yield return "--log-max-file";
            yield return options.MaxFiles.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
