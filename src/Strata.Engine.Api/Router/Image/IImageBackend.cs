using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Image;

/// <summary>
/// What the image routes need of the daemon (moby's api/server/router/image/backend.go). Failures are
/// <see cref="ApiException"/>s with docker's status and message; a streaming call that already wrote
/// progress reports its failure as the stream's last line instead.
/// </summary>
public interface IImageBackend
{
    /// <summary>One entry per image (config digest), with all its names; newest first.</summary>
    IReadOnlyList<ImageSummary> ListImages(Filters filters);

    /// <summary>POST /images/create?fromImage=: pulls, reporting docker's progress lines to <paramref name="output"/>.</summary>
    Task PullAsync(string fromImage, string tag, string platform, AuthConfig? auth, RegistryTransfer transfer, IJsonMessageSink output, CancellationToken cancellationToken);

    /// <summary>
    /// POST /images/{name}/push; an empty tag pushes every tag of the repository. With a destination the one
    /// image <paramref name="name"/> names is pushed there instead.
    /// </summary>
    Task PushAsync(string name, string tag, AuthConfig? auth, RegistryTransfer transfer, IJsonMessageSink output, CancellationToken cancellationToken);

    void TagImage(string name, string repository, string tag);

    IReadOnlyList<ImageDeleteResponseItem> DeleteImage(string name, bool force, bool prune);

    ImageInspect InspectImage(string name);

    IReadOnlyList<HistoryItem> ImageHistory(string name);

    /// <summary>
    /// The images as one tar, written before the answer starts (so a bad name is a 404); delete on close.
    /// <paramref name="format"/> is "docker-archive" (docker's) or "oci-archive" (Strata's format parameter).
    /// </summary>
    Task<Stream> SaveImagesAsync(IReadOnlyList<string> names, string format, CancellationToken cancellationToken);

    Task LoadImagesAsync(Stream archive, bool quiet, IJsonMessageSink output, CancellationToken cancellationToken);

    ImagePruneReport PruneImages(Filters filters);

    /// <summary>POST /auth: checks the credentials against the registry, keeps them in the daemon's store.</summary>
    Task<AuthResponse> LoginAsync(AuthConfig config, bool tlsVerify, CancellationToken cancellationToken);
}

/// <summary>Where a backend writes progress lines; calls may come from several threads.</summary>
public interface IJsonMessageSink
{
    void Write(JsonMessage message);
}
