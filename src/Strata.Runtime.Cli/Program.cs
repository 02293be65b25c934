using System.Runtime.InteropServices;
using System.Text.Json;
using Strata.Linux;
using Strata.Oci.Runtime;
using Strata.Runtime;
using Strata.Runtime.Cli;
using Strata.Runtime.Init;
using Strata.Runtime.Lifecycle;
using Strata.Runtime.State;

// The container's init, reached through the native stage (native/nsexec.c): nothing else may run first.
// Spawned, it is `strata-runtime init|exec-init`; forked from the zygote, its command line was rewritten to
// `strata-runtime init`, unless the original was too short to hold it: _STRATA_INITPIPE tells then.
if (args.Length > 0 && args[0] == "exec-init")
    return ExecProcess.Main();
if ((args.Length > 0 && args[0] == "init") || Environment.GetEnvironmentVariable(InitProcess.PipeEnvironment) is { Length: > 0 })
    return InitProcess.Main();
return RuntimeCli.Run(args);

namespace Strata.Runtime.Cli
{
    internal static class RuntimeCli
    {
        private const string Version = Features.Version;
        private static readonly string[] ListHeader = ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"];

        private static readonly Dictionary<string, bool> GlobalFlags = new()
        {
            ["root"] = true, ["log"] = true, ["log-format"] = true, ["debug"] = false,
            ["systemd-cgroup"] = false, ["rootless"] = true, ["criu"] = true,
            ["version|v"] = false, ["help|h"] = false,
        };

        private static readonly Dictionary<string, bool> CreateFlags = new()
        {
            ["bundle|b"] = true, ["console-socket"] = true, ["pid-file"] = true, ["no-pivot"] = false,
            ["no-new-keyring"] = false, ["preserve-fds"] = true, ["pidfd-socket"] = true,
        };

        public static int Run(string[] args)
        {
            RuntimeLog log = new(null, false, false);
            try
            {
                var (global, command, rest) = SplitGlobal(args);
                log = new RuntimeLog(global.Get("log"), global.Get("log-format", "text") == "json", global.Has("debug"));
                if (global.Has("version"))
                {
                    Console.WriteLine($"strata-runtime version {Version}\nspec: {SpecVersion.Current}");
                    return 0;
                }
                if (command is null || global.Has("help"))
                {
                    Console.WriteLine(Usage);
                    return command is null && !global.Has("help") ? 1 : 0;
                }
                var runtime = new ContainerRuntime(global.Get("root", StateStore.DefaultRoot)) { Debug = log.Debug };
                log.Debug($"{command} {string.Join(' ', rest)}");
                return Dispatch(runtime, command, rest);
            }
            catch (UsageException e)
            {
                Console.Error.WriteLine($"Incorrect Usage: {e.Message}");
                log.Error(e.Message);
                return 1;
            }
            catch (Exception e) when (e is RuntimeException or SpecException or SyscallException or Cgroups.CgroupException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine(e.Message);
                log.Error(e.Message);
                return 1;
            }
            finally
            {
                Zygote.Discard();
            }
        }

        private static (CommandLine Global, string? Command, string[] Arguments) SplitGlobal(string[] args)
        {
            // Global flags come before the command, as in runc.
            var i = 0;
            var globalArgs = new List<string>();
            while (i < args.Length && args[i].StartsWith('-'))
            {
                globalArgs.Add(args[i]);
                var name = args[i].TrimStart('-');
                if (!name.Contains('=', StringComparison.Ordinal) && GlobalFlagTakesValue(name))
                {
                    if (i + 1 < args.Length)
                        globalArgs.Add(args[++i]);
                }
                i++;
            }
            var global = CommandLine.Parse(globalArgs, GlobalFlags);
            return (global, i < args.Length ? args[i] : null, args[(Math.Min(i + 1, args.Length))..]);
        }

        private static bool GlobalFlagTakesValue(string name)
        {
            foreach (var (spec, takesValue) in GlobalFlags)
            {
                if (!takesValue)
                    continue;
                foreach (var alias in spec.Split('|'))
                {
                    if (alias == name)
                        return true;
                }
            }
            return false;
        }

        private static int Dispatch(ContainerRuntime runtime, string command, string[] args)
        {
            // What the native stage forked for a create is ended at once for any other command: an `exec` or
            // `events` may last long.
            if (command is not ("create" or "run"))
                Zygote.Discard();
            switch (command)
            {
                case "create":
                {
                    var cl = CommandLine.Parse(args, CreateFlags);
                    runtime.Create(RequireId(cl, command), CreateOptionsFrom(cl));
                    return 0;
                }
                case "start":
                    runtime.Start(RequireId(CommandLine.Parse(args, new Dictionary<string, bool>()), command));
                    return 0;
                case "run":
                    return RunCommand(runtime, args);
                case "state":
                {
                    var view = runtime.View(RequireId(CommandLine.Parse(args, new Dictionary<string, bool>()), command));
                    Console.WriteLine(ViewJson.Write(view));
                    return 0;
                }
                case "kill":
                {
                    var cl = CommandLine.Parse(args, new Dictionary<string, bool> { ["all|a"] = false });
                    var id = RequireId(cl, command);
                    var name = cl.Positionals.Count > 1 ? cl.Positionals[1] : "SIGTERM";
                    var signal = Signals.Parse(name) ?? throw new RuntimeException($"unknown signal \"{name}\"");
                    runtime.Kill(id, signal, cl.Has("all"));
                    return 0;
                }
                case "delete":
                {
                    var cl = CommandLine.Parse(args, new Dictionary<string, bool> { ["force|f"] = false });
                    runtime.Delete(RequireId(cl, command), cl.Has("force"));
                    return 0;
                }
                case "list":
                    return ListCommand(runtime, CommandLine.Parse(args, new Dictionary<string, bool> { ["format|f"] = true, ["quiet|q"] = false }));
                case "ps":
                    return PsCommand(runtime, CommandLine.Parse(args, new Dictionary<string, bool> { ["format|f"] = true }, stopAtFirstPositional: true));
                case "spec":
                    return SpecCommand(CommandLine.Parse(args, new Dictionary<string, bool> { ["bundle|b"] = true, ["rootless"] = false }));
                case "pause":
                    runtime.Pause(RequireId(CommandLine.Parse(args, new Dictionary<string, bool>()), command));
                    return 0;
                case "resume":
                    runtime.Resume(RequireId(CommandLine.Parse(args, new Dictionary<string, bool>()), command));
                    return 0;
                case "features":
                    Console.WriteLine(Features.Json(Cgroups.CgroupHost.Detect().Mode));
                    return 0;
                case "events":
                    return EventsCommand(runtime, CommandLine.Parse(args, new Dictionary<string, bool> { ["stats"] = false, ["interval"] = true }));
                case "update":
                    return UpdateCommand(runtime, CommandLine.Parse(args, UpdateFlags));
                case "exec":
                    return ExecCommand(runtime, CommandLine.Parse(args, ExecFlags, stopAtFirstPositional: true));
                case "checkpoint" or "restore":
                    throw new RuntimeException($"strata-runtime: \"{command}\" is not supported by this version");
                default:
                    throw new UsageException($"unknown command \"{command}\" for strata-runtime\n{Usage}");
            }
        }

        private static CreateOptions CreateOptionsFrom(CommandLine cl) => new()
        {
            Bundle = cl.Get("bundle", Directory.GetCurrentDirectory()),
            PidFile = cl.Get("pid-file"),
            NoPivot = cl.Has("no-pivot"),
            PreserveFds = cl.GetInt("preserve-fds", 0),
            ConsoleSocket = cl.Get("console-socket"),
        };

        private static int RunCommand(ContainerRuntime runtime, string[] args)
        {
            var flags = new Dictionary<string, bool>(CreateFlags) { ["detach|d"] = false, ["keep"] = false };
            var cl = CommandLine.Parse(args, flags);
            var id = RequireId(cl, "run");
            var options = CreateOptionsFrom(cl);
            if (cl.Has("detach"))
            {
                runtime.Create(id, options);
                try
                {
                    runtime.Start(id);
                }
                catch
                {
                    runtime.Delete(id, force: true);
                    throw;
                }
                return 0;
            }
            // runc forwards the signals a foreground run receives to the container's init; SIGWINCH is not
            // forwarded but resizes the container's terminal, when it has one.
            NativeSignals.Start();
            try
            {
                return runtime.Run(id, options, cl.Has("keep"), NativeSignals.ForwardTo);
            }
            finally
            {
                NativeSignals.Stop();
            }
        }

        private static readonly Dictionary<string, bool> ExecFlags = new()
        {
            ["process|p"] = true, ["env|e"] = true, ["cwd"] = true, ["user|u"] = true, ["additional-gids|g"] = true,
            ["tty|t"] = false, ["detach|d"] = false, ["pid-file"] = true, ["console-socket"] = true,
            ["preserve-fds"] = true, ["cap|c"] = true, ["no-new-privs"] = false, ["process-label"] = true,
            ["apparmor"] = true, ["ignore-paused"] = false, ["cgroup"] = true,
        };

        private static int ExecCommand(ContainerRuntime runtime, CommandLine cl)
        {
            var id = RequireId(cl, "exec");
            var argv = cl.Positionals.Skip(1).ToList();
            byte[]? processJson = null;
            if (cl.Get("process") is { } file)
                processJson = File.ReadAllBytes(file);
            else if (argv.Count == 0)
                throw new UsageException("exec requires a command (or --process)");
            var options = new ExecOptions
            {
                ProcessJson = processJson,
                Process = processJson is null ? p => ExecProcessFrom(p, argv, cl) : null,
                PidFile = cl.Get("pid-file"),
                PreserveFds = cl.GetInt("preserve-fds", 0),
                Wait = !cl.Has("detach"),
                ConsoleSocket = cl.Get("console-socket"),
            };
            if (!options.Wait)
                return runtime.Exec(id, options).ExitCode ?? 0;
            // Signals reach the exec'd process, as with run.
            NativeSignals.Start();
            try
            {
                return runtime.Exec(id, options, NativeSignals.ForwardTo).ExitCode ?? 0;
            }
            finally
            {
                NativeSignals.Stop();
            }
        }

        /// <summary>runc exec's argv form: the container's process with args, env, cwd and user replaced.</summary>
        private static Oci.Runtime.Process ExecProcessFrom(Oci.Runtime.Process container, List<string> argv, CommandLine cl)
        {
            var process = container;
            // As runc: the argv form has a terminal only with --tty, whatever the container's process has.
            process.Terminal = cl.Has("tty");
            process.Args = argv;
            process.Env = [.. process.Env ?? [], .. cl.GetAll("env")];
            if (cl.Get("cwd") is { } cwd)
                process.Cwd = cwd;
            if (cl.Get("user") is { } user)
            {
                var parts = user.Split(':');
                process.User = new User
                {
                    Uid = uint.TryParse(parts[0], out var uid) ? uid : throw new UsageException($"invalid --user {user}: uid[:gid] expected"),
                    Gid = parts.Length > 1 && uint.TryParse(parts[1], out var gid) ? gid : 0,
                };
            }
            if (cl.GetAll("additional-gids") is { Count: > 0 } gids)
                process.User.AdditionalGids = gids.Select(g => uint.TryParse(g, out var n) ? n : throw new UsageException($"invalid --additional-gids {g}")).ToList();
            if (cl.GetAll("cap") is { Count: > 0 } caps && process.Capabilities is { } sets)
            {
                foreach (var cap in caps)
                {
                    foreach (var set in new[] { sets.Bounding, sets.Effective, sets.Permitted })
                    {
                        if (set is not null && !set.Contains(cap))
                            set.Add(cap);
                    }
                }
            }
            if (cl.Has("no-new-privs"))
                process.NoNewPrivileges = true;
            return process;
        }

        private static int EventsCommand(ContainerRuntime runtime, CommandLine cl)
        {
            var id = RequireId(cl, "events");
            if (cl.Has("stats"))
            {
                Console.WriteLine(Events.StatsEvent(id, runtime.Stats(id)));
                return 0;
            }
            var interval = ParseDuration(cl.Get("interval", "5s"));
            using var cancel = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cancel.Cancel(); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });
            runtime.StreamEvents(id, interval, line => { Console.WriteLine(line); Console.Out.Flush(); }, cancel.Token);
            return 0;
        }

        /// <summary>Go duration syntax as runc takes it: "5s", "500ms", "1m".</summary>
        private static TimeSpan ParseDuration(string text)
        {
            var units = new (string Suffix, double Ms)[] { ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000) };
            foreach (var (suffix, ms) in units)
            {
                if (text.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(text[..^suffix.Length], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0)
                    return TimeSpan.FromMilliseconds(n * ms);
            }
            throw new UsageException($"invalid value \"{text}\" for flag -interval: time: invalid duration");
        }

        private static readonly Dictionary<string, bool> UpdateFlags = new()
        {
            ["resources|r"] = true, ["memory"] = true, ["memory-reservation"] = true, ["memory-swap"] = true,
            ["cpu-share|cpu-shares"] = true, ["cpu-quota"] = true, ["cpu-period"] = true, ["cpuset-cpus"] = true,
            ["cpuset-mems"] = true, ["pids-limit"] = true,
        };

        private static int UpdateCommand(ContainerRuntime runtime, CommandLine cl)
        {
            var id = RequireId(cl, "update");
            LinuxResources resources;
            if (cl.Get("resources") is { } file)
            {
                // The linux.resources object of config.json, from a file or "-" for stdin.
                var json = file == "-" ? Console.In.ReadToEnd() : File.ReadAllText(file);
                var wrapped = SpecLoader.Parse(System.Text.Encoding.UTF8.GetBytes($"{{\"linux\":{{\"resources\":{json}}}}}"), file == "-" ? "stdin" : file);
                resources = wrapped.Linux?.Resources ?? new LinuxResources();
            }
            else
            {
                resources = new LinuxResources();
            }
            long? Long(string name) => cl.Get(name) is { } v ? ParseSize(v, name) : null;
            if (Long("memory") is { } memory)
                (resources.Memory ??= new()).Limit = memory;
            if (Long("memory-reservation") is { } reservation)
                (resources.Memory ??= new()).Reservation = reservation;
            if (Long("memory-swap") is { } swap)
                (resources.Memory ??= new()).Swap = swap;
            if (Long("cpu-share") is { } shares)
                (resources.Cpu ??= new()).Shares = (ulong)shares;
            if (Long("cpu-quota") is { } quota)
                (resources.Cpu ??= new()).Quota = quota;
            if (Long("cpu-period") is { } period)
                (resources.Cpu ??= new()).Period = (ulong)period;
            if (cl.Get("cpuset-cpus") is { } cpus)
                (resources.Cpu ??= new()).Cpus = cpus;
            if (cl.Get("cpuset-mems") is { } mems)
                (resources.Cpu ??= new()).Mems = mems;
            if (Long("pids-limit") is { } pids)
                resources.Pids = new LinuxPids { Limit = pids };
            runtime.Update(id, resources);
            return 0;
        }

        /// <summary>A number, or a size with a k/m/g suffix (runc update accepts "64m").</summary>
        private static long ParseSize(string text, string flag)
        {
            var multiplier = 1L;
            var digits = text;
            if (text.Length > 1 && char.ToLowerInvariant(text[^1]) is 'k' or 'm' or 'g' && text[^2] is >= '0' and <= '9')
            {
                multiplier = char.ToLowerInvariant(text[^1]) switch { 'k' => 1L << 10, 'm' => 1L << 20, _ => 1L << 30 };
                digits = text[..^1];
            }
            return long.TryParse(digits, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n)
                ? n * multiplier
                : throw new UsageException($"invalid value \"{text}\" for flag -{flag}");
        }

        private static int ListCommand(ContainerRuntime runtime, CommandLine cl)
        {
            var views = runtime.List();
            if (cl.Has("quiet"))
            {
                foreach (var v in views)
                    Console.WriteLine(v.Id);
                return 0;
            }
            switch (cl.Get("format", "table"))
            {
                case "json":
                    Console.WriteLine(ViewJson.Write(views));
                    return 0;
                case "table":
                    var rows = new List<string[]> { ListHeader };
                    rows.AddRange(views.Select(v => new[]
                    {
                        v.Id, v.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), v.Status.ToOciString(), v.Bundle,
                        v.Created.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", System.Globalization.CultureInfo.InvariantCulture), v.Owner,
                    }));
                    Console.Write(Table.Format(rows));
                    return 0;
                default:
                    throw new RuntimeException($"invalid format option \"{cl.Get("format")}\"");
            }
        }

        private static int PsCommand(ContainerRuntime runtime, CommandLine cl)
        {
            var id = RequireId(cl, "ps");
            var pids = runtime.Pids(id);
            if (cl.Get("format", "table") == "json")
            {
                Console.WriteLine(ViewJson.Write(pids));
                return 0;
            }
            var psArgs = cl.Positionals.Count > 1 ? cl.Positionals.Skip(1).ToList() : ["-ef"];
            Console.Write(Ps.Filter(psArgs, pids));
            return 0;
        }

        private static int SpecCommand(CommandLine cl)
        {
            var bundle = cl.Get("bundle", Directory.GetCurrentDirectory());
            var path = Path.Combine(bundle, SpecLoader.ConfigFileName);
            if (File.Exists(path))
                throw new RuntimeException("File config.json exists. Remove it first.");
            File.WriteAllText(path, SpecLoader.Serialize(cl.Has("rootless")
                ? DefaultSpec.CreateRootless(Sys.EffectiveUserId, Sys.EffectiveGroupId)
                : DefaultSpec.Create()) + "\n");
            return 0;
        }

        private static string RequireId(CommandLine cl, string command)
        {
            if (cl.Positionals.Count == 0)
                throw new UsageException($"\"{command}\" requires a container id");
            var id = cl.Positionals[0];
            ContainerId.Validate(id);
            return id;
        }

        private const string Usage = """
            strata-runtime: an OCI runtime with runc's command line

            USAGE:
               strata-runtime [global options] command [command options] [arguments...]

            COMMANDS:
               create   create a container
               start    executes the user defined process in a created container
               run      create and run a container
               state    output the state of a container
               kill     kill sends the specified signal (default: SIGTERM) to the container's init process
               delete   delete any resources held by the container often used with detached container
               list     lists containers started by strata-runtime with the given root
               ps       ps displays the processes running inside a container
               spec     create a new specification file
               features show the enabled features
               events   display container events such as OOM notifications and resource usage statistics
               update   update container resource constraints
               exec     execute new process inside the container
               pause    pause suspends all processes inside the container
               resume   resumes all processes that have been previously paused

            GLOBAL OPTIONS:
               --root value        root directory for storage of container state (default: "/run/strata-runtime",
                                   or "$XDG_RUNTIME_DIR/strata-runtime" for a rootless caller)
               --log value         set the log file to write runtime logs to (default: stderr)
               --log-format value  set the log format ('text' (default), or 'json')
               --debug             enable debug logging
               --version, -v       print the version
            """;
    }
}
