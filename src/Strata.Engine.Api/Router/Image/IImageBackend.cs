using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Image;

/// <summary>What the image routes need of the daemon.</summary>
public interface IImageBackend
{
    /// <summary>One entry per image (config digest), with all its names; newest first.</summary>
    IReadOnlyList<ImageSummary> ListImages();
}
