using System.Security.Cryptography;
using Strata.Images;
using Strata.Images.Store;

namespace Strata.Engine.Containers;

/// <summary>The outcome of a create: docker's ContainerCreateResponse.</summary>
public sealed record CreateResult(string Id, IReadOnlyList<string> Warnings);

public sealed partial class ContainerLifecycle
{
    /// <summary>
    /// POST /containers/create: the image's config merged under the request's, checked, recorded with a lease
    /// on the image, the rootfs prepared (a copy is made now; an overlay is mounted at each start), the hooks'
    /// Create run. Any failure leaves nothing behind.
    /// </summary>
    /// <param name="name">docker's name rules; null makes one up.</param>
    public async Task<CreateResult> CreateAsync(CreateRequest request, string? name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.Image))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "No image was specified");
        }
        var host = request.HostConfig ?? new HostConfig();
        var givenName = name is { Length: > 0 } ? ContainerNames.Normalize(name) : null;
        var warnings = new List<string>(DockerSpec.Validate(request, host));
        _ = ContainerIo.LogConfigs.Parse(host.LogConfig);
        // Shared while the image is read and its snapshots unpacked: a prune must not sweep them meanwhile.
        using var storeLock = StoreLock.Shared(_images.Root);
        Image image;
        try
        {
            image = _images.Load(request.Image);
        }
        catch (ImageException e) when (e.Code == ImageErrorCode.ImageNotFound)
        {
            throw new EngineException(EngineErrorCode.ImageNotFound, $"No such image: {request.Image}", e);
        }
        var config = DockerSpec.Merge(request, image.Config, request.Image);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var dir = DirectoryOf(id);
        var details = new ContainerDetails
        {
            Config = config,
            HostConfig = host,
            NetworkingConfig = request.NetworkingConfig?.Clone(),
            ImageId = image.Record.Config.ToString(),
            Platform = "linux",
        };
        var command = string.Join(' ', (config.Entrypoint ?? []).Concat(config.Cmd ?? []));
        EngineContainer record = null!;
        Directory.CreateDirectory(dir);
        _images.Metadata.PutLease(new ImageLease(EngineContainer.LeaseIdFor(id), image.Record.Manifest, $"container {id[..12]}"));
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                record = new EngineContainer(id, givenName ?? ContainerNames.Generate(attempt), image.Record.Name, image.Record.Manifest, command,
                    _time.GetUtcNow(), ContainerState.Created, null, null, null, OverlaySupported ? "overlay" : "copy")
                { Details = details };
                try
                {
                    _store.Put(record);
                    break;
                }
                catch (EngineException e) when (e.Code == EngineErrorCode.NameInUse)
                {
                    if (givenName is not null)
                    {
                        var holder = _store.Find(givenName)?.Id ?? "";
                        throw new EngineException(EngineErrorCode.NameInUse,
                            $"Conflict. The container name \"/{givenName}\" is already in use by container \"{holder}\". You have to remove (or rename) that container to be able to reuse that name.", e);
                    }
                    if (attempt > 10)
                    {
                        throw;
                    }
                }
            }
            try
            {
                if (OverlaySupported)
                {
                    await _images.Snapshots.EnsureAsync(image.Manifest, image.Config, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _images.Snapshots.FlattenAsync(image.Manifest, image.Config, Path.Combine(dir, "bundle", "rootfs"), cancellationToken).ConfigureAwait(false);
                }
                var context = new ContainerHookContext(record, dir);
                foreach (var hook in _hooks)
                {
                    await hook.CreateAsync(context, cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                await RunRemoveHooksAsync(record, removeVolumes: true).ConfigureAwait(false);
                _store.Delete(id);
                throw;
            }
        }
        catch
        {
            _images.Metadata.DeleteLease(EngineContainer.LeaseIdFor(id));
            Directory.Delete(dir, recursive: true);
            throw;
        }
        EntryOf(id);
        Publish("create", record);
        return new CreateResult(id, warnings);
    }
}
