using System.Globalization;
using System.Text.Json;
using Strata.Build.Instructions;
using Strata.Build.Stages;
using Strata.Oci.Image;

namespace Strata.Build.Execution;

/// <summary>
/// The image a stage is making: its config, layers and history. Metadata instructions change the config the way
/// BuildKit's dockerfile frontend does (dispatch*), each adding an empty-layer history entry; layer instructions
/// add a layer. Values arrive with their variables already substituted (<see cref="StageScope.Apply"/>).
/// </summary>
public sealed class StageImage
{
    /// <summary>The PATH BuildKit gives an image that has none (system.DefaultPathEnv on Linux).</summary>
    public const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static readonly string[] DefaultShell = ["/bin/sh", "-c"];
    private const string HistoryComment = "buildkit.dockerfile.v0";

    private bool _cmdSet;

    private StageImage(ImageConfig config, List<Descriptor> layers, DateTimeOffset created)
    {
        Config = config;
        Layers = layers;
        Created = created;
    }

    public ImageConfig Config { get; }

    /// <summary>The layers' descriptors, in order, matching <see cref="ImageConfig.RootFs"/>'s diff_ids.</summary>
    public List<Descriptor> Layers { get; }

    /// <summary>The time written into the config and its new history (SOURCE_DATE_EPOCH when given).</summary>
    public DateTimeOffset Created { get; }

    public ContainerConfig Container => Config.Config!;

    /// <summary>The SHELL that shell-form CMD, ENTRYPOINT and RUN run in.</summary>
    public IReadOnlyList<string> Shell =>
        Container.Extensions is { } ext && ext.TryGetValue("Shell", out var v) && v.ValueKind == JsonValueKind.Array
            ? v.Deserialize(BuildJsonContext.Default.ListString)!
            : DefaultShell;

    /// <summary>The working directory, "/" when none is set.</summary>
    public string WorkingDir => string.IsNullOrEmpty(Container.WorkingDir) ? "/" : Container.WorkingDir;

    /// <summary>An empty image for FROM scratch, for the target platform.</summary>
    public static StageImage Scratch(BuildPlatform platform, DateTimeOffset created)
    {
        ArgumentNullException.ThrowIfNull(platform);
        var config = new ImageConfig
        {
            Architecture = platform.Architecture,
            Os = platform.Os,
            Variant = platform.Variant,
            Config = new ContainerConfig { Env = [DefaultPath] },
            RootFs = new RootFs(),
            History = [],
        };
        return new StageImage(config, [], created);
    }

    /// <summary>A copy of a base image (from the store or an earlier stage) to build on.</summary>
    public static StageImage From(ImageConfig baseConfig, IEnumerable<Descriptor> layers, DateTimeOffset created)
    {
        ArgumentNullException.ThrowIfNull(baseConfig);
        ArgumentNullException.ThrowIfNull(layers);
        // A deep copy through the config's own JSON, so the base's documents stay as they were.
        var config = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(baseConfig, ImageJsonContext.Default.ImageConfig), ImageJsonContext.Default.ImageConfig)!;
        config.Config ??= new ContainerConfig();
        config.Config.Env ??= [];
        if (!config.Config.Env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
        {
            config.Config.Env.Add(DefaultPath);
        }
        config.History ??= [];
        // ONBUILD triggers belong to the image that declared them; the image built on it starts without.
        config.Config.Extensions?.Remove("OnBuild");
        return new StageImage(config, [.. layers], created);
    }

    /// <summary>The base's ONBUILD triggers, which a build on it must run first.</summary>
    public static IReadOnlyList<string> OnBuildTriggers(ImageConfig config) =>
        config?.Config?.Extensions is { } ext && ext.TryGetValue("OnBuild", out var v) && v.ValueKind == JsonValueKind.Array
            ? [.. v.EnumerateArray().Select(e => e.GetString() ?? "")]
            : [];

    /// <summary>Applies a metadata instruction; false for instructions that are not metadata (RUN, COPY, ADD, ARG).</summary>
    public bool ApplyMetadata(Instruction instruction, StageScope scope)
    {
        ArgumentNullException.ThrowIfNull(instruction);
        ArgumentNullException.ThrowIfNull(scope);
        string createdBy;
        switch (instruction)
        {
            case EnvInstruction env:
                Container.Env = [.. scope.Env];
                createdBy = "ENV " + string.Join(' ', env.Env.Select(kv => $"{kv.Key}={kv.Value}"));
                break;
            case LabelInstruction label:
                Container.Labels ??= [];
                foreach (var kv in label.Labels)
                {
                    Container.Labels[kv.Key] = kv.Value!;
                }
                createdBy = "LABEL " + string.Join(' ', label.Labels.Select(kv => $"{kv.Key}={kv.Value}"));
                break;
            case WorkdirInstruction workdir:
                Container.WorkingDir = ResolvePath(WorkingDir, workdir.Path);
                createdBy = "WORKDIR " + Container.WorkingDir;
                break;
            case UserInstruction user:
                Container.User = user.User;
                createdBy = "USER " + user.User;
                break;
            case CmdInstruction cmd:
                Container.Cmd = CommandOf(cmd.Command);
                _cmdSet = true;
                createdBy = "CMD " + JsonList(Container.Cmd);
                break;
            case EntrypointInstruction entrypoint:
                var args = CommandOf(entrypoint.Command);
                Container.Entrypoint = args.Count == 0 ? null : args;
                // A new ENTRYPOINT drops the CMD it inherited: that CMD was written for another entrypoint.
                if (!_cmdSet)
                {
                    Container.Cmd = null;
                }
                createdBy = "ENTRYPOINT " + JsonList(args);
                break;
            case ExposeInstruction expose:
                Container.ExposedPorts ??= [];
                foreach (var port in expose.Ports.SelectMany(ExpandPort))
                {
                    Container.ExposedPorts[port] = EmptyObject();
                }
                createdBy = "EXPOSE " + string.Join(' ', expose.Ports);
                break;
            case VolumeInstruction volume:
                Container.Volumes ??= [];
                foreach (var v in volume.Volumes)
                {
                    Container.Volumes[v] = EmptyObject();
                }
                createdBy = "VOLUME " + JsonList(volume.Volumes);
                break;
            case StopSignalInstruction stop:
                Container.StopSignal = stop.Signal;
                createdBy = "STOPSIGNAL " + stop.Signal;
                break;
            case HealthcheckInstruction health:
                SetExtension("Healthcheck", HealthcheckJson(health));
                createdBy = "HEALTHCHECK " + JsonList(health.Test);
                break;
            case ShellInstruction shell:
                SetExtension("Shell", JsonSerializer.SerializeToElement(shell.Shell.ToList(), BuildJsonContext.Default.ListString));
                createdBy = "SHELL " + JsonList(shell.Shell);
                break;
            case OnbuildInstruction onbuild:
                var triggers = OnBuildTriggers(Config).ToList();
                triggers.Add(onbuild.Expression);
                SetExtension("OnBuild", JsonSerializer.SerializeToElement(triggers, BuildJsonContext.Default.ListString));
                createdBy = "ONBUILD " + onbuild.Expression;
                break;
            case MaintainerInstruction maintainer:
                Config.Author = maintainer.Maintainer;
                createdBy = "MAINTAINER " + maintainer.Maintainer;
                break;
            default:
                return false;
        }
        AddHistory(createdBy, emptyLayer: true);
        return true;
    }

    /// <summary>Adds a layer (already in the store) and its history entry.</summary>
    public void AddLayer(Descriptor layer, Digest diffId, string createdBy)
    {
        ArgumentNullException.ThrowIfNull(layer);
        Layers.Add(layer);
        Config.RootFs.DiffIds.Add(diffId);
        AddHistory(createdBy, emptyLayer: false);
    }

    /// <summary>Sets a label given on the command line (--label), over the Dockerfile's.</summary>
    public void SetLabel(string key, string value)
    {
        Container.Labels ??= [];
        Container.Labels[key] = value;
    }

    /// <summary>The config as the store keeps it: created time set, JSON bytes whose digest is the image ID.</summary>
    public byte[] SerializeConfig()
    {
        Config.Created = Created;
        return JsonSerializer.SerializeToUtf8Bytes(Config, ImageJsonContext.Default.ImageConfig);
    }

    /// <summary>A path relative to <paramref name="workingDir"/> made absolute and cleaned, as WORKDIR and COPY read it.</summary>
    public static string ResolvePath(string workingDir, string path)
    {
        ArgumentNullException.ThrowIfNull(workingDir);
        ArgumentNullException.ThrowIfNull(path);
        var joined = path.StartsWith('/') ? path : workingDir.TrimEnd('/') + "/" + path;
        var parts = new List<string>();
        foreach (var part in joined.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    private List<string> CommandOf(CommandLine command) =>
        command.PrependShell && command.Arguments.Count > 0 ? [.. Shell, .. command.Arguments] : [.. command.Arguments];

    private void AddHistory(string createdBy, bool emptyLayer)
    {
        Config.History ??= [];
        Config.History.Add(new History
        {
            Created = Created,
            CreatedBy = createdBy,
            Comment = HistoryComment,
            EmptyLayer = emptyLayer ? true : null,
        });
    }

    private void SetExtension(string name, JsonElement value)
    {
        Container.Extensions ??= [];
        Container.Extensions[name] = value;
    }

    private static JsonElement EmptyObject() => JsonDocument.Parse("{}").RootElement.Clone();

    private static string JsonList(IEnumerable<string> values) =>
        JsonSerializer.Serialize(values.ToList(), BuildJsonContext.Default.ListString);

    // docker's HealthConfig in an image config: durations in nanoseconds, zero ones left out.
    private static JsonElement HealthcheckJson(HealthcheckInstruction health)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("Test");
            foreach (var t in health.Test)
            {
                w.WriteStringValue(t);
            }
            w.WriteEndArray();
            WriteDuration(w, "Interval", health.Interval);
            WriteDuration(w, "Timeout", health.Timeout);
            WriteDuration(w, "StartPeriod", health.StartPeriod);
            WriteDuration(w, "StartInterval", health.StartInterval);
            if (health.Retries != 0)
            {
                w.WriteNumber("Retries", health.Retries);
            }
            w.WriteEndObject();
        }
        return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
    }

    private static void WriteDuration(Utf8JsonWriter w, string name, TimeSpan value)
    {
        if (value != TimeSpan.Zero)
        {
            w.WriteNumber(name, value.Ticks * 100);
        }
    }

    /// <summary>
    /// EXPOSE's ports as the config keys them: "80" is "80/tcp", a range "8000-8002/udp" each of its ports.
    /// </summary>
    public static IEnumerable<string> ExpandPort(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var slash = spec.IndexOf('/', StringComparison.Ordinal);
        var ports = slash < 0 ? spec : spec[..slash];
        var proto = slash < 0 ? "tcp" : spec[(slash + 1)..].ToLowerInvariant();
        if (proto is not ("tcp" or "udp" or "sctp"))
        {
            throw new FormatException($"invalid proto: {proto}");
        }
        var dash = ports.IndexOf('-', StringComparison.Ordinal);
        if (!TryPort(dash < 0 ? ports : ports[..dash], out var start) || !TryPort(dash < 0 ? ports : ports[(dash + 1)..], out var end) || end < start)
        {
            throw new FormatException($"invalid containerPort: {ports}");
        }
        var result = new List<string>();
        for (var p = start; p <= end; p++)
        {
            result.Add(string.Create(CultureInfo.InvariantCulture, $"{p}/{proto}"));
        }
        return result;
    }

    private static bool TryPort(string s, out int port) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 0 and <= 65535;
}

[System.Text.Json.Serialization.JsonSerializable(typeof(List<string>))]
internal sealed partial class BuildJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
