using System.Globalization;
using Strata.Engine.Api.Router.Container;
using Strata.Engine.Api.Types;
using Strata.Engine.Containers;
using Strata.Images;

namespace Strata.Engine.Api.Daemon;

/// <summary>The container routes' backend.</summary>
public sealed partial class EngineDaemon
{
    public IReadOnlyList<ContainerSummary> ListContainers(ContainerListOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            IEnumerable<EngineContainer> list = _containers.List(options.All);
            if (options.Limit is { } limit)
            {
                list = list.Take(limit);
            }
            return list.Select(c => new ContainerSummary
            {
                Id = c.Id,
                Names = ["/" + c.Name],
                Image = Familiar(c.Image),
                ImageID = _images.Find(c.Image)?.Config.ToString() ?? c.Manifest.ToString(),
                Command = c.Command,
                Created = c.Created.ToUnixTimeSeconds(),
                State = c.State switch
                {
                    ContainerState.Created => "created",
                    ContainerState.Running => "running",
                    _ => "exited",
                },
                Status = c.State switch
                {
                    ContainerState.Created => "Created",
                    ContainerState.Running => "Up " + HumanDuration.Format(now - c.Created),
                    // The engine does not record when a container ended yet: no "… ago".
                    _ => string.Create(CultureInfo.InvariantCulture, $"Exited ({c.ExitCode ?? 0})"),
                },
            }).ToList();
        }
    }

    /// <summary>"docker.io/library/busybox:latest" as docker prints it: "busybox:latest".</summary>
    private static string Familiar(string image) =>
        ImageName.TryParse(image, out var name, out _)
            ? name.FamiliarRepository + (name.Tag is { } tag ? ":" + tag : "") + (name.Digest is { } d ? "@" + d : "")
            : image;
}
