using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Volume;

/// <param name="Dangling">null for all; true for volumes no container references, false for referenced ones.</param>
/// <param name="Drivers">Exact driver names (any of them); empty for all.</param>
/// <param name="Names">Regular expressions matched anywhere in the name (any of them), as docker's name filter; empty for all.</param>
/// <param name="Labels">"key" or "key=value", all of which must hold.</param>
public sealed record VolumeListOptions(bool? Dangling, IReadOnlyList<string> Drivers, IReadOnlyList<string> Names, IReadOnlyList<string> Labels);

/// <summary>What the volume routes need of the daemon. Failures are EngineExceptions (NotFound, InUse, InvalidArgument).</summary>
public interface IVolumeBackend
{
    VolumeInfo CreateVolume(VolumeCreateRequest request);

    VolumeInfo GetVolume(string name);

    IReadOnlyList<VolumeInfo> ListVolumes(VolumeListOptions options);

    void RemoveVolume(string name, bool force);

    /// <param name="all">Named volumes too, not only anonymous ones.</param>
    VolumePruneResponse PruneVolumes(bool all, IReadOnlyList<string> labels, IReadOnlyList<string> labelsNot);
}
