using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.Engine.Networking.Cni;

/// <summary>What a plugin is called with besides its configuration (CNI SPEC section 2, "Parameters").</summary>
/// <param name="ContainerId">CNI_CONTAINERID.</param>
/// <param name="Namespace">CNI_NETNS: the path of the container's network namespace.</param>
/// <param name="Interface">CNI_IFNAME: the interface to make in it.</param>
public sealed record CniAttachment(string ContainerId, string Namespace, string Interface);

/// <summary>A plugin's error result (SPEC section 2, "Errors"): its code, msg and details.</summary>
public sealed class CniException : Exception
{
    public CniException(string plugin, string command, int code, string message, string? details = null)
        : base($"CNI {plugin} {command}: {message}{(string.IsNullOrEmpty(details) ? "" : ": " + details)}")
    {
        Plugin = plugin;
        Code = code;
    }

    public CniException() { }
    public CniException(string message) : base(message) { }
    public CniException(string message, Exception inner) : base(message, inner) { }

    public string Plugin { get; } = "";
    public int Code { get; }
}

/// <summary>
/// Runs the standard CNI plugins as the spec's runtime does (SPEC sections 2 and 3): one process per plugin
/// of a network configuration list, the environment naming the command and the attachment, the derived
/// configuration on stdin, the result on stdout. ADD goes through the list in order, each plugin getting
/// the previous one's result; DEL goes in reverse with the final ADD result as prevResult. The plugins
/// are never re-implemented: libcni (containerd's go-cni, podman's CNI backend) is the model.
/// </summary>
public sealed class CniPlugins
{
    public const string Version = "1.0.0";

    /// <summary>Debian's containernetworking-plugins, then the upstream install location.</summary>
    public static readonly IReadOnlyList<string> DefaultPaths = ["/usr/lib/cni", "/opt/cni/bin"];

    /// <param name="hostNamespace">The namespace the plugins run in (their bridge, veth host ends and rules); null for this process's.</param>
    public CniPlugins(IReadOnlyList<string>? paths = null, string? hostNamespace = null)
    {
        Paths = paths ?? DefaultPaths;
        HostNamespace = hostNamespace;
    }

    public string? HostNamespace { get; }

    public IReadOnlyList<string> Paths { get; }

    /// <summary>Whether every named plugin binary exists.</summary>
    public bool Have(params string[] types) => types.All(t => Find(t) is not null);

    /// <summary>ADD through the list; on a failure the plugins already run are DELeted, so nothing is left half-made.</summary>
    public async Task<JsonObject> AddAsync(JsonObject conflist, CniAttachment attachment, JsonObject? runtimeConfig, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(conflist);
        ArgumentNullException.ThrowIfNull(attachment);
        JsonObject? result = null;
        try
        {
            foreach (var plugin in Plugins(conflist))
            {
                var output = await InvokeAsync("ADD", Derive(conflist, plugin, runtimeConfig, result), attachment, cancellationToken).ConfigureAwait(false);
                result = JsonNode.Parse(output) as JsonObject
                    ?? throw new CniException(Type(plugin), "ADD", 0, "the result is not a JSON object");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            try
            {
                await DeleteAsync(conflist, attachment, result, runtimeConfig, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception cleanup) when (cleanup is CniException or IOException)
            {
                throw new AggregateException(e.Message + "; and its clean-up: " + cleanup.Message, e, cleanup);
            }
            throw;
        }
        return result ?? new JsonObject { ["cniVersion"] = Version };
    }

    /// <summary>DEL in reverse order. Every plugin is called even when one fails (the first error is thrown after), so one failure does not leave the others' rules behind.</summary>
    public async Task DeleteAsync(JsonObject conflist, CniAttachment attachment, JsonObject? prevResult, JsonObject? runtimeConfig, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(conflist);
        ArgumentNullException.ThrowIfNull(attachment);
        Exception? first = null;
        foreach (var plugin in Enumerable.Reverse(Plugins(conflist)))
        {
            try
            {
                await InvokeAsync("DEL", Derive(conflist, plugin, runtimeConfig, prevResult), attachment, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CniException or IOException)
            {
                first ??= e;
            }
        }
        if (first is not null)
        {
            throw first;
        }
    }

    /// <summary>CHECK through the list with the final ADD result (SPEC "Checking an attachment").</summary>
    public async Task CheckAsync(JsonObject conflist, CniAttachment attachment, JsonObject prevResult, JsonObject? runtimeConfig, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(conflist);
        foreach (var plugin in Plugins(conflist))
        {
            await InvokeAsync("CHECK", Derive(conflist, plugin, runtimeConfig, prevResult), attachment, cancellationToken).ConfigureAwait(false);
        }
    }

    private static List<JsonObject> Plugins(JsonObject conflist) =>
        (conflist["plugins"] as JsonArray ?? throw new ArgumentException("a network configuration list needs \"plugins\"", nameof(conflist)))
        .OfType<JsonObject>().ToList();

    private static string Type(JsonObject plugin) => plugin["type"]?.GetValue<string>() ?? throw new ArgumentException("a plugin configuration needs \"type\"");

    /// <summary>
    /// SPEC section 3, "Deriving execution configuration": the plugin's object plus the list's name and
    /// cniVersion, runtimeConfig holding only the capabilities the plugin declares, and prevResult.
    /// </summary>
    private static JsonObject Derive(JsonObject conflist, JsonObject plugin, JsonObject? runtimeConfig, JsonObject? prevResult)
    {
        var config = (JsonObject)plugin.DeepClone();
        config["name"] = conflist["name"]?.DeepClone();
        config["cniVersion"] = conflist["cniVersion"]?.DeepClone();
        config.Remove("capabilities");
        if (plugin["capabilities"] is JsonObject capabilities && runtimeConfig is not null)
        {
            var granted = new JsonObject();
            foreach (var (key, enabled) in capabilities)
            {
                if (enabled?.GetValue<bool>() == true && runtimeConfig[key] is { } value)
                {
                    granted[key] = value.DeepClone();
                }
            }
            if (granted.Count > 0)
            {
                config["runtimeConfig"] = granted;
            }
        }
        if (prevResult is not null)
        {
            config["prevResult"] = prevResult.DeepClone();
        }
        return config;
    }

    private string? Find(string type) =>
        Paths.Select(p => Path.Combine(p, type)).FirstOrDefault(File.Exists);

    private async Task<string> InvokeAsync(string command, JsonObject config, CniAttachment attachment, CancellationToken cancellationToken)
    {
        var type = Type(config);
        var binary = Find(type) ?? throw new CniException(type, command, 0, $"plugin {type} not found in {string.Join(':', Paths)}");
        var info = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["CNI_COMMAND"] = command;
        info.Environment["CNI_CONTAINERID"] = attachment.ContainerId;
        info.Environment["CNI_NETNS"] = attachment.Namespace;
        info.Environment["CNI_IFNAME"] = attachment.Interface;
        info.Environment["CNI_ARGS"] = "";
        info.Environment["CNI_PATH"] = string.Join(':', Paths);
        // The plugins run iptables and friends from PATH; a daemon started with a bare environment still has them.
        info.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
        using var process = Strata.Linux.NetworkNamespace.Run(HostNamespace, () => Process.Start(info)) ?? throw new CniException(type, command, 0, "could not start " + binary);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardInput.WriteAsync(config.ToJsonString()).ConfigureAwait(false);
        process.StandardInput.Close();
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        if (process.ExitCode == 0)
        {
            return output;
        }
        var (code, message, details) = ParseError(output);
        throw new CniException(type, command, code, message ?? (errors.Trim() is { Length: > 0 } e ? e : $"exit status {process.ExitCode}"), details);
    }

    private static (int Code, string? Message, string? Details) ParseError(string output)
    {
        try
        {
            if (JsonNode.Parse(output) is JsonObject error)
            {
                return (error["code"]?.GetValue<int>() ?? 0, error["msg"]?.GetValue<string>(), error["details"]?.GetValue<string>());
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
        }
        return (0, output.Trim() is { Length: > 0 } text ? text : null, null);
    }
}
