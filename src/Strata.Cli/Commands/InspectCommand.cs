using System.CommandLine;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary>
/// `strata inspect` and `strata container inspect`: the engine's JSON for containers, images, volumes and
/// networks, indented as docker prints it, or through --format's template. Without --type a name is looked
/// up as docker looks it up: a container, else an image, else a network, else a volume.
/// </summary>
internal static class InspectCommand
{
    private static readonly string[] Kinds = ["container", "image", "network", "volume"];

    /// <param name="type">The kind a `X inspect` subcommand is for; null for the top-level `inspect` (--type, or any kind).</param>
    public static Command Create(string? type)
    {
        var names = new Argument<string[]>("name") { Description = "Names or IDs.", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string?>("--format", "-f") { Description = "json (default) or a template: '{{.State.Status}}'." };
        var size = new Option<bool>("--size", "-s") { Description = "Display total file sizes if the type is container." };
        var kind = new Option<string?>("--type") { Description = "Only inspect objects of this type: container, image, network, volume." };
        var command = new Command("inspect", type is null ? "Return low-level information on Docker objects." : $"Display detailed information on one or more {type}s.") { names, format, size };
        if (type is null)
        {
            command.Options.Add(kind);
        }
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "inspect", (client, token) =>
        {
            var only = type ?? parse.GetValue(kind);
            if (only is not null && !Kinds.Contains(only))
            {
                throw new FormatException($"\"{only}\" is not a valid value for --type");
            }
            var sizeQuery = parse.GetValue(size) ? "?size=1" : "";
            Task<System.Text.Json.JsonDocument> Fetch(string k, string n) => ApiText.GetDocumentAsync(client, k switch
            {
                "container" => "/containers/" + Uri.EscapeDataString(n) + "/json" + sizeQuery,
                "image" => "/images/" + n + "/json",
                "network" => "/networks/" + Uri.EscapeDataString(n),
                _ => "/volumes/" + Uri.EscapeDataString(n),
            }, token);
            async Task<System.Text.Json.JsonDocument> Any(string n)
            {
                foreach (var k in Kinds)
                {
                    try
                    {
                        return await Fetch(k, n).ConfigureAwait(false);
                    }
                    catch (DaemonException e) when (e.Status is 404 or 400)
                    {
                    }
                }
                throw new DaemonException(404, "No such object: " + n);
            }
            return ApiText.InspectAsync(parse.GetValue(names)!, n => only is null ? Any(n) : Fetch(only, n), parse.GetValue(format), only ?? "object");
        }, ct));
        return command;
    }
}
