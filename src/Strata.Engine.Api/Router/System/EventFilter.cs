using Strata.Engine.Api.Server;
using Strata.Engine.Events;

namespace Strata.Engine.Api.Router.System;

/// <summary>
/// Which events a `/events` client asked for: moby's daemon/events/filter.go, rule for rule. Objects match
/// by id prefix or by name; images by id or name, with or without the tag; labels against the attributes.
/// </summary>
public sealed class EventFilter(Filters filters)
{
    /// <summary>The keys dockerd accepts (swarm's among them: they match nothing here, as on a node without swarm).</summary>
    public static IReadOnlySet<string> Keys { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "config", "container", "daemon", "event", "image", "label", "network", "node", "plugin", "scope", "secret", "service", "type", "volume",
    };

    // An event filter of these without a colon matches "exec_start: sh -c …" and "health_status: healthy".
    private static readonly string[] ActionsWithDetail = ["health_status", "exec_create", "exec_start"];

    public bool Include(EngineEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return MatchEvent(e)
            && filters.ExactMatch("type", e.Type)
            && filters.ExactMatch("scope", "local")
            && MatchName(e, EventType.Daemon)
            && MatchName(e, EventType.Container)
            && MatchName(e, "plugin")
            && MatchName(e, EventType.Volume)
            && MatchName(e, EventType.Network)
            && MatchImage(e)
            && MatchName(e, "node")
            && MatchName(e, "service")
            && MatchName(e, "secret")
            && MatchName(e, "config")
            && filters.MatchLabels("label", e.Attributes);
    }

    private bool MatchEvent(EngineEvent e) =>
        filters.Get("event").Any(v => ActionsWithDetail.Contains(v))
            ? filters.FuzzyMatch("event", e.Action)
            : filters.ExactMatch("event", e.Action);

    /// <summary>moby's fuzzyMatchName: the actor's id or name starts with one of the values given for the key.</summary>
    private bool MatchName(EngineEvent e, string type)
    {
        if (!filters.Contains(type))
        {
            return true;
        }
        return filters.FuzzyMatch(type, e.ActorId) || (e.Attributes.TryGetValue("name", out var name) && filters.FuzzyMatch(type, name));
    }

    private bool MatchImage(EngineEvent e)
    {
        if (!filters.Contains("image"))
        {
            return true;
        }
        var name = e.Attributes.TryGetValue(e.Type == EventType.Image ? "name" : "image", out var n) ? n : "";
        return filters.ExactMatch("image", e.ActorId)
            || filters.ExactMatch("image", name)
            || filters.ExactMatch("image", StripTag(e.ActorId))
            || filters.ExactMatch("image", StripTag(name));
    }

    /// <summary>"busybox:latest" → "busybox"; "localhost:5000/x" keeps its port; digests stay.</summary>
    private static string StripTag(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return image;
        }
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? image[..colon] : image;
    }
}
