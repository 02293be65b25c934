using System.CommandLine;
using Strata.Engine.Containers;
using Strata.Images;

namespace Strata.Cli.Commands;

/// <summary>`strata run|rm`: flags onto <see cref="RunOptions"/> and <see cref="ContainerService"/> (until the engine's container routes serve them); `ps` is <see cref="PsCommand"/>.</summary>
public static class ContainerCommands
{
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        GlobalFlags.AddTo(root);
        root.Subcommands.Add(Run());
        root.Subcommands.Add(PsCommand.Create());
        root.Subcommands.Add(Rm());
    }

    private static Command Run()
    {
        var image = new Argument<string>("image") { Description = "Image to run (pulled when missing)." };
        var args = new Argument<string[]>("command") { Description = "Command and arguments, replacing the image's Cmd (use -- before arguments that start with '-').", Arity = ArgumentArity.ZeroOrMore };
        var rm = new Option<bool>("--rm") { Description = "Remove the container when it exits." };
        var name = new Option<string>("--name") { Description = "Container name." };
        var env = new Option<string[]>("--env", "-e") { Description = "KEY=VALUE, or KEY to pass strata's value.", AllowMultipleArgumentsPerToken = false };
        var workdir = new Option<string>("--workdir", "-w") { Description = "Working directory inside the container." };
        var user = new Option<string>("--user", "-u") { Description = "uid[:gid] or name[:group]." };
        var volume = new Option<string[]>("--volume", "-v") { Description = "host-path:container-path[:ro]." };
        var readOnly = new Option<bool>("--read-only") { Description = "Mount the root filesystem read-only." };
        var memory = new Option<string>("--memory", "-m") { Description = "Memory limit (e.g. 64m, 1g)." };
        var cpus = new Option<double?>("--cpus") { Description = "CPU limit in CPUs (e.g. 0.5)." };
        var pids = new Option<long?>("--pids-limit") { Description = "Most processes the container may have." };
        var network = new Option<string>("--network") { Description = "none (default) or host.", DefaultValueFactory = _ => "none" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Allocate a terminal." };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Keep standard input open." };
        var command = new Command("run", "Run a command in a new container from an image.")
        {
            image, args, rm, name, env, workdir, user, volume, readOnly, memory, cpus, pids, network, tty, interactive,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("run", async () =>
        {
            using var store = GlobalFlags.OpenStore(parse);
            var imageName = parse.GetValue(image)!;
            if (store.Find(imageName) is null)
            {
                await Console.Error.WriteLineAsync($"Unable to find image '{imageName}' locally").ConfigureAwait(false);
                using var view = new TransferProgressView("pull", toStandardError: true);
                await store.PullAsync(ImageName.Parse(imageName), view, ct).ConfigureAwait(false);
            }
            var runtime = ContainerService.FindRuntime()
                ?? throw new InvalidOperationException("strata-runtime not found: set $STRATA_RUNTIME or put it next to strata or on $PATH");
            var options = new RunOptions
            {
                Image = imageName,
                Command = [.. parse.GetValue(args) ?? [], .. parse.UnmatchedTokens],
                Remove = parse.GetValue(rm),
                Name = parse.GetValue(name),
                Env = parse.GetValue(env) ?? [],
                WorkingDir = parse.GetValue(workdir),
                User = parse.GetValue(user),
                Volumes = parse.GetValue(volume) ?? [],
                ReadOnly = parse.GetValue(readOnly),
                MemoryBytes = parse.GetValue(memory) is { } m ? Format.ParseBytes(m) : null,
                Cpus = parse.GetValue(cpus),
                PidsLimit = parse.GetValue(pids),
                Network = parse.GetValue(network) ?? "none",
                Tty = parse.GetValue(tty),
                Interactive = parse.GetValue(interactive),
            };
            using var service = new ContainerService(store, runtime);
            return await service.RunAsync(options, ct).ConfigureAwait(false);
        }));
        return command;
    }

    private static Command Rm()
    {
        var containers = new Argument<string[]>("container") { Description = "Containers by name or ID.", Arity = ArgumentArity.OneOrMore };
        var force = new Option<bool>("--force", "-f") { Description = "Kill a running container first." };
        var command = new Command("rm", "Remove containers.") { containers, force };
        command.SetAction((parse, ct) => GlobalFlags.GuardAsync("rm", async () =>
        {
            using var store = GlobalFlags.OpenStore(parse);
            using var service = new ContainerService(store, ContainerService.FindRuntime() ?? "strata-runtime");
            foreach (var c in parse.GetValue(containers)!)
            {
                var removed = service.Remove(c, parse.GetValue(force));
                await Console.Out.WriteLineAsync(removed.Name).ConfigureAwait(false);
            }
            return 0;
        }));
        return command;
    }
}
