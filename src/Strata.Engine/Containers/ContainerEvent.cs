namespace Strata.Engine.Containers;

/// <summary>
/// A container event as docker's /events reports it (Type "container"): create, start, die (exitCode), stop,
/// kill (signal), pause, unpause, restart, destroy, rename (oldName), oom, update, attach...
/// </summary>
public sealed record ContainerEvent(string Action, string Id, string Name, string Image, IReadOnlyDictionary<string, string> Attributes, DateTimeOffset Time);
