using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary>
/// The engine's JSON as the docker CLI prints it: inspect's indented array (4 spaces, Go's MarshalIndent, the
/// engine's strings kept as it wrote them), --format paths over a document ({{.State.Status}}), and request
/// bodies for routes whose shapes are written here as the API documents them.
/// </summary>
internal static class ApiText
{
    /// <summary>A JSON request body.</summary>
    public static HttpContent Body(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var content = new StringContent(node.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    public static async Task<JsonDocument> GetDocumentAsync(EngineClient client, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.SendAsync(HttpMethod.Get, path, null, cancellationToken, streamed: false).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return JsonDocument.Parse(bytes);
    }

    public static async Task<JsonDocument?> SendDocumentAsync(EngineClient client, HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var content = body is null ? null : Body(body);
        using var response = await client.SendAsync(method, path, content, cancellationToken, streamed: false).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return bytes.Length == 0 ? null : JsonDocument.Parse(bytes);
    }

    /// <summary>
    /// `docker inspect`'s output: each object, or with a format each object through the template (a line each).
    /// Objects that could not be found print "Error: No such X: name" on stderr and make the exit 1.
    /// </summary>
    /// <param name="sorted">
    /// Keys sorted at every level, as the docker CLI prints a type it decodes and encodes again (volumes: Go's
    /// generated structs are alphabetical, maps are sorted); otherwise the engine's own order, as docker indents
    /// the raw body of containers and networks.
    /// </param>
    public static async Task<int> InspectAsync(IEnumerable<string> names, Func<string, Task<JsonDocument>> fetch, string? format, string kind, bool sorted = false)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(fetch);
        var found = new List<JsonDocument>();
        var exit = 0;
        try
        {
            foreach (var name in names)
            {
                try
                {
                    found.Add(await fetch(name).ConfigureAwait(false));
                }
                catch (DaemonException e) when (e.Status == 404)
                {
                    await Console.Error.WriteLineAsync("Error: " + (e.Message.StartsWith("No such", StringComparison.Ordinal) ? e.Message : $"No such {kind}: {name}")).ConfigureAwait(false);
                    exit = 1;
                }
            }
            if (format is null or "json")
            {
                await Console.Out.WriteLineAsync(Indent(found.Select(d => d.RootElement).ToList(), sorted)).ConfigureAwait(false);
            }
            else
            {
                foreach (var doc in found)
                {
                    await Console.Out.WriteLineAsync(Template(format, doc.RootElement)).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            foreach (var doc in found)
            {
                doc.Dispose();
            }
        }
        return exit;
    }

    /// <summary>A JSON array of <paramref name="items"/>, indented by 4 spaces as Go's MarshalIndent.</summary>
    public static string Indent(IReadOnlyList<JsonElement> items, bool sorted = false)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
        {
            return "[]";
        }
        var text = new StringBuilder("[\n");
        for (var i = 0; i < items.Count; i++)
        {
            text.Append("    ");
            Write(items[i], text, 1, sorted);
            text.Append(i < items.Count - 1 ? ",\n" : "\n");
        }
        return text.Append(']').ToString();
    }

    /// <summary>A template over one document: {{.A.B}} (a string as is, anything else as JSON), {{json .A}}, {{json .}}.</summary>
    public static string Template(string format, JsonElement root)
    {
        ArgumentNullException.ThrowIfNull(format);
        var template = format.Replace("\\t", "\t", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal);
        var text = new StringBuilder();
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0)
            {
                text.Append(template, i, template.Length - i);
                break;
            }
            var close = template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"template parsing error: unclosed action in '{format}'");
            }
            text.Append(template, i, open - i);
            var action = template[(open + 2)..close].Trim(' ', '-');
            var json = action.StartsWith("json ", StringComparison.Ordinal);
            var path = json ? action[5..].Trim() : action;
            if (!path.StartsWith('.'))
            {
                throw new FormatException($"template: unsupported action '{{{{{action}}}}}': use {{{{.Field.Sub}}}} or {{{{json .Field}}}}");
            }
            var value = root;
            foreach (var part in path[1..].Split('.', StringSplitOptions.RemoveEmptyEntries))
            {
                if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(part, out value))
                {
                    throw new FormatException($"template: can't evaluate field {part} in {path}");
                }
            }
            var last = path[1..].Split('.', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
            text.Append(json || value.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? Compact(value, last is not null && MapFields.Contains(last))
                : value.ValueKind == JsonValueKind.String ? value.GetString()
                : value.ValueKind == JsonValueKind.Null ? "<nil>"
                : value.GetRawText());
            i = close + 2;
        }
        return text.ToString();
    }

    /// <summary>
    /// Fields the API types declare as Go maps: the docker CLI decodes them and encodes them again, keys sorted;
    /// structs keep their field order, which is the engine's.
    /// </summary>
    private static readonly HashSet<string> MapFields = new(StringComparer.Ordinal)
    {
        "Labels", "Options", "ExposedPorts", "Volumes", "Ports", "PortBindings", "Networks", "Sysctls", "Tmpfs", "StorageOpt",
        "DriverOpts", "Data", "Containers", "Config", "Status", "EndpointsConfig", "DriverConfig",
    };

    private static string Compact(JsonElement value, bool sortKeys)
    {
        if (value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
        {
            return value.GetRawText();
        }
        if (sortKeys && value.ValueKind == JsonValueKind.Object)
        {
            var sorted = new JsonObject();
            foreach (var p in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                sorted[p.Name] = JsonNode.Parse(p.Value.GetRawText());
            }
            return sorted.ToJsonString();
        }
        return JsonNode.Parse(value.GetRawText())!.ToJsonString();
    }

    private static void Write(JsonElement e, StringBuilder text, int depth, bool sorted)
    {
        var pad = new string(' ', 4 * (depth + 1));
        var closePad = new string(' ', 4 * depth);
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = e.EnumerateObject().ToList();
                if (sorted)
                {
                    properties.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                }
                if (properties.Count == 0)
                {
                    text.Append("{}");
                    return;
                }
                text.Append("{\n");
                for (var i = 0; i < properties.Count; i++)
                {
                    text.Append(pad).Append(GoText.JsonString(properties[i].Name)).Append(": ");
                    Write(properties[i].Value, text, depth + 1, sorted);
                    text.Append(i < properties.Count - 1 ? ",\n" : "\n");
                }
                text.Append(closePad).Append('}');
                return;
            case JsonValueKind.Array:
                var items = e.EnumerateArray().ToList();
                if (items.Count == 0)
                {
                    text.Append("[]");
                    return;
                }
                text.Append("[\n");
                for (var i = 0; i < items.Count; i++)
                {
                    text.Append(pad);
                    Write(items[i], text, depth + 1, sorted);
                    text.Append(i < items.Count - 1 ? ",\n" : "\n");
                }
                text.Append(closePad).Append(']');
                return;
            case JsonValueKind.String:
                text.Append(GoText.JsonString(e.GetString()!));
                return;
            default:
                text.Append(e.GetRawText());
                return;
        }
    }

    /// <summary>"KEY=VALUE" flags (--label, --opt) as a JSON object.</summary>
    public static JsonObject Pairs(IEnumerable<string>? pairs)
    {
        var o = new JsonObject();
        foreach (var pair in pairs ?? [])
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            o[eq < 0 ? pair : pair[..eq]] = eq < 0 ? "" : pair[(eq + 1)..];
        }
        return o;
    }

    public static string Seconds(long value) => value.ToString(CultureInfo.InvariantCulture);
}
