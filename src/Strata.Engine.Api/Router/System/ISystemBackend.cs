using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.System;

/// <summary>What the system routes need of the daemon, and nothing more.</summary>
public interface ISystemBackend
{
    SystemVersion GetVersion();

    SystemInfo GetInfo();
}
