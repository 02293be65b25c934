using Strata.Engine.Api.Types;
using Strata.Engine.Events;

namespace Strata.Engine.Api.Router.System;

/// <summary>What the system routes need of the daemon, and nothing more.</summary>
public interface ISystemBackend
{
    SystemVersion GetVersion();

    SystemInfo GetInfo();

    /// <summary>The engine's events, for `/events`.</summary>
    EventBus Events { get; }
}
