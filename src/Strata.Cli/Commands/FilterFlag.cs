using System.CommandLine;
using System.Text.Json;

namespace Strata.Cli.Commands;

/// <summary>docker's --filter KEY=VALUE (repeatable), sent as the API's filters parameter: {"KEY":{"VALUE":true}}.</summary>
internal static class FilterFlag
{
    /// <param name="shortAlias">-f as well; prune commands leave it to --force, as docker's do.</param>
    public static Option<string[]> Create(string description, bool shortAlias = true) => new("--filter", shortAlias ? ["-f"] : [])
    {
        Description = description,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>"&amp;filters=…" for a query string, or "" when there are none.</summary>
    public static string Query(IEnumerable<string>? filters)
    {
        var args = new Dictionary<string, Dictionary<string, bool>>(StringComparer.Ordinal);
        foreach (var filter in filters ?? [])
        {
            var eq = filter.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"bad format of filter (expected name=value): {filter}");
            }
            var key = filter[..eq].Trim().ToLowerInvariant();
            if (!args.TryGetValue(key, out var values))
            {
                args[key] = values = new Dictionary<string, bool>(StringComparer.Ordinal);
            }
            values[filter[(eq + 1)..].Trim()] = true;
        }
        return args.Count == 0 ? "" : "&filters=" + Uri.EscapeDataString(JsonSerializer.Serialize(args, CliJson.Default.DictionaryStringDictionaryStringBoolean));
    }
}
