using Strata.Oci.Runtime;

namespace Strata.Engine.Containers;

/// <summary>The config a container from an image starts from: `runc spec`'s defaults with an engine's capabilities.</summary>
internal static class RuntimeDefaults
{
    public static Spec Create(bool rootless)
    {
        var spec = rootless
            ? DefaultSpec.CreateRootless(Strata.Linux.Sys.EffectiveUserId, Strata.Linux.Sys.EffectiveGroupId)
            : DefaultSpec.Create();
        // No ambient set, as docker: a non-root user starts without capabilities.
        spec.Process!.Capabilities = new LinuxCapabilities
        {
            Bounding = [.. DefaultSpec.EngineCapabilities],
            Effective = [.. DefaultSpec.EngineCapabilities],
            Permitted = [.. DefaultSpec.EngineCapabilities],
        };
        return spec;
    }
}
