using Strata.Engine.Api.Router.Image;
using Strata.Engine.Api.Types;
using Strata.Images;

namespace Strata.Engine.Api.Daemon;

/// <summary>The image routes' backend.</summary>
public sealed partial class EngineDaemon
{
    public IReadOnlyList<ImageSummary> ListImages()
    {
        lock (_lock)
        {
            return _images.Metadata.ListImages()
                .GroupBy(r => r.Config)
                .Select(g =>
                {
                    var names = g.Select(r => ImageName.Parse(r.Name)).ToList();
                    var newest = g.Max(r => r.Created ?? r.Updated);
                    return new ImageSummary
                    {
                        Id = g.Key.ToString(),
                        RepoTags = names.Where(n => n.Tag is not null).Select(n => n.FamiliarRepository + ":" + n.Tag).Order(StringComparer.Ordinal).ToList(),
                        RepoDigests = g.Select(r => ImageName.Parse(r.Name).FamiliarRepository + "@" + r.Target).Distinct().Order(StringComparer.Ordinal).ToList(),
                        Created = newest.ToUnixTimeSeconds(),
                        Size = g.First().Size,
                    };
                })
                .OrderByDescending(i => i.Created)
                .ToList();
        }
    }
}
