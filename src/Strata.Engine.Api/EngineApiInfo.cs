using System.Reflection;

namespace Strata.Engine.Api;

/// <summary>The server's own version, as /version, /info and the Server header report it.</summary>
public static class EngineApiInfo
{
    public static string Version { get; } =
        (typeof(EngineApiInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];
}
