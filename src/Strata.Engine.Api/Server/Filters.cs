using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Strata.Engine.Api.Server;

/// <summary>
/// The `filters` query parameter as moby's api/types/filters.Args reads it: a JSON object of key → values,
/// either {"key":{"value":true}} (what clients send) or the legacy {"key":["value"]}. Each route declares
/// the keys it accepts (<see cref="Validate"/>, docker's "invalid filter 'x'"), then matches with docker's
/// three rules: <see cref="ExactMatch"/>, <see cref="Match"/> (values are regular expressions, as for
/// names) and <see cref="FuzzyMatch"/> (values are prefixes, as for ids).
/// </summary>
public sealed class Filters
{
    private static readonly IReadOnlyList<string> None = [];
    private readonly Dictionary<string, List<string>> _values;

    private Filters(Dictionary<string, List<string>> values) => _values = values;

    public static Filters Empty { get; } = new([]);

    public bool IsEmpty => _values.Count == 0;

    public IEnumerable<string> Keys => _values.Keys;

    /// <summary>Reads context's `filters`; false with docker's message (a 400) when it is not valid JSON of either form.</summary>
    public static bool TryRead(HttpContext context, out Filters filters, out string error)
    {
        ArgumentNullException.ThrowIfNull(context);
        return TryParse(context.Request.Query["filters"].ToString(), out filters, out error);
    }

    public static bool TryParse(string? json, out Filters filters, out string error)
    {
        filters = Empty;
        error = "";
        if (string.IsNullOrWhiteSpace(json))
        {
            return true;
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "invalid filter: filters must be a JSON object";
                return false;
            }
            var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                var list = new List<string>();
                switch (property.Value.ValueKind)
                {
                    case JsonValueKind.Object:
                        foreach (var v in property.Value.EnumerateObject())
                        {
                            if (v.Value.ValueKind == JsonValueKind.True)
                            {
                                list.Add(v.Name);
                            }
                        }
                        break;
                    case JsonValueKind.Array:
                        foreach (var v in property.Value.EnumerateArray())
                        {
                            if (v.ValueKind != JsonValueKind.String)
                            {
                                error = $"invalid filter: the values of '{property.Name}' must be strings";
                                return false;
                            }
                            list.Add(v.GetString()!);
                        }
                        break;
                    default:
                        error = $"invalid filter: '{property.Name}' must map to an object or an array";
                        return false;
                }
                if (list.Count > 0)
                {
                    values[property.Name] = list;
                }
            }
            filters = new Filters(values);
            return true;
        }
        catch (JsonException e)
        {
            error = "invalid filter: " + e.Message;
            return false;
        }
    }

    /// <summary>moby's Args.Validate: every key must be one the route serves; else "invalid filter 'key'".</summary>
    public bool Validate(IReadOnlySet<string> accepted, out string error)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        foreach (var key in _values.Keys)
        {
            if (!accepted.Contains(key))
            {
                error = $"invalid filter '{key}'";
                return false;
            }
        }
        error = "";
        return true;
    }

    public bool Contains(string key) => _values.ContainsKey(key);

    public IReadOnlyList<string> Get(string key) => _values.TryGetValue(key, out var v) ? v : None;

    /// <summary>True when the key is absent or one of its values equals <paramref name="source"/>.</summary>
    public bool ExactMatch(string key, string source) =>
        !_values.TryGetValue(key, out var values) || values.Contains(source, StringComparer.Ordinal);

    /// <summary>True when the key is absent or one of its values, a regular expression, matches <paramref name="source"/>.</summary>
    public bool Match(string key, string source)
    {
        if (!_values.TryGetValue(key, out var values))
        {
            return true;
        }
        foreach (var pattern in values)
        {
            try
            {
                if (Regex.IsMatch(source, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
                {
                    return true;
                }
            }
            catch (ArgumentException)
            {
                // Go's regexp.Compile failing is no match there too.
            }
        }
        return false;
    }

    /// <summary>True when the key is absent or <paramref name="source"/> starts with one of its values (ids).</summary>
    public bool FuzzyMatch(string key, string source) =>
        !_values.TryGetValue(key, out var values) || values.Any(v => source.StartsWith(v, StringComparison.Ordinal));

    /// <summary>
    /// label=key or label=key=value against a set of labels: every value given must hold (moby's
    /// Args.MatchKVList).
    /// </summary>
    public bool MatchLabels(string key, IReadOnlyDictionary<string, string>? labels)
    {
        if (!_values.TryGetValue(key, out var values))
        {
            return true;
        }
        if (labels is null || labels.Count == 0)
        {
            return false;
        }
        foreach (var value in values)
        {
            var eq = value.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                if (!labels.ContainsKey(value))
                {
                    return false;
                }
            }
            else if (!labels.TryGetValue(value[..eq], out var actual) || actual != value[(eq + 1)..])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A boolean filter (dangling=true): absent is <paramref name="fallback"/>; anything but true/1/false/0 is "invalid filter 'key=value'".</summary>
    public bool TryGetBool(string key, bool fallback, out bool value, out string error)
    {
        value = fallback;
        error = "";
        if (!_values.TryGetValue(key, out var values))
        {
            return true;
        }
        foreach (var v in values)
        {
            switch (v.ToLowerInvariant())
            {
                case "true" or "1":
                    value = true;
                    break;
                case "false" or "0":
                    value = false;
                    break;
                default:
                    error = $"invalid filter '{key}={v}'";
                    return false;
            }
        }
        return true;
    }
}
