using System.CommandLine;
using Strata.Cli.Commands;

namespace Strata.Cli;

/// <summary>The `strata` command. Each command group lives in its own file under Commands/ and is added here.</summary>
public static class Program
{
    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("Strata: build, share and run containers.");
        root.Subcommands.Add(RegistryCommand.Create());
        ImageCommands.AddTo(root);
        BuildCommand.AddTo(root);
        ContainerCommands.AddTo(root);
        ArchiveCommands.AddTo(root);
        SystemCommands.AddTo(root);
        VolumeCommands.AddTo(root);
        NetworkCommands.AddTo(root);
        root.Subcommands.Add(DaemonCommand.Create());
        return root.Parse(Interspersed.StopAtFirstArgument(root, args)).InvokeAsync();
    }
}
