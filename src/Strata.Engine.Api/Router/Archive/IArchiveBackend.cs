using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Archive;

/// <summary>
/// What the archive, export and changes routes need of the daemon (moby's api/server/router/container
/// copy.go and the export and changes routes). Failures are <see cref="EngineException"/>s.
/// </summary>
public interface IArchiveBackend
{
    /// <summary>HEAD /containers/{id}/archive: the stat of the path, or 404 "Could not find the file PATH in container NAME".</summary>
    Task<ContainerPathStat> StatContainerPathAsync(string nameOrId, string path, CancellationToken cancellationToken);

    /// <summary>GET /containers/{id}/archive: <paramref name="begin"/> gets the stat (the route sends its headers) and returns where the tar goes.</summary>
    Task ArchiveContainerPathAsync(string nameOrId, string path, Func<ContainerPathStat, Task<Stream>> begin, CancellationToken cancellationToken);

    /// <summary>PUT /containers/{id}/archive: the tar extracted into the directory at path.</summary>
    Task ExtractToContainerDirAsync(string nameOrId, string path, bool noOverwriteDirNonDir, bool copyUidGid, Stream content, CancellationToken cancellationToken);

    /// <summary>GET /containers/{id}/export: <paramref name="begin"/> sends the headers and returns where the tar goes.</summary>
    Task ExportContainerAsync(string nameOrId, Func<Task<Stream>> begin, CancellationToken cancellationToken);

    /// <summary>GET /containers/{id}/changes: its layer's changes, by path.</summary>
    Task<IReadOnlyList<FilesystemChange>> ContainerChangesAsync(string nameOrId, CancellationToken cancellationToken);
}
