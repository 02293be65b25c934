using System.Text;

namespace Strata.Cli.Commands;

/// <summary>
/// docker's --format for lists, the part of Go templates people use: "table" (the default columns),
/// "json" (one object a line, keys sorted as Go's encoder sorts a map's), "table {{.A}}\t{{.B}}" (a header of
/// docker's column names, then aligned rows), or any other text with {{.Field}}, {{json .}} and
/// {{json .Field}} (written as is, a line an item). "\t" and "\n" typed as two characters are a tab and a
/// newline, as the docker CLI reads them. Rows are a field-to-text map, as docker's formatter contexts are.
/// </summary>
internal sealed class ListFormat
{
    private readonly string _template;
    private readonly IReadOnlyDictionary<string, string> _headers;

    private ListFormat(string template, bool table, bool json, IReadOnlyDictionary<string, string> headers)
    {
        _template = template;
        IsTable = table;
        IsJson = json;
        _headers = headers;
    }

    public bool IsTable { get; }

    public bool IsJson { get; }

    /// <param name="format">--format's value; null or "table" for <paramref name="defaultTable"/>.</param>
    /// <param name="defaultTable">The columns of the plain table, e.g. "table {{.ID}}\t{{.Image}}".</param>
    /// <param name="headers">Field to column name (ID to "CONTAINER ID"); a field not named is upper-cased.</param>
    public static ListFormat Parse(string? format, string defaultTable, IReadOnlyDictionary<string, string> headers)
    {
        ArgumentNullException.ThrowIfNull(defaultTable);
        var f = string.IsNullOrEmpty(format) || format == "table" ? defaultTable : format;
        if (f == "json")
        {
            return new ListFormat("{{json .}}", table: false, json: true, headers);
        }
        var table = f.StartsWith("table", StringComparison.Ordinal);
        if (table)
        {
            f = f["table".Length..];
        }
        f = f.Trim(' ').Replace("\\t", "\t", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal);
        return new ListFormat(f, table, json: false, headers);
    }

    /// <summary>Every row through the template; a table gets its header and docker's alignment.</summary>
    public async Task WriteAsync(IEnumerable<IReadOnlyDictionary<string, string?>> rows, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(output);
        var lines = rows.Select(Render).ToList();
        if (!IsTable)
        {
            foreach (var line in lines)
            {
                await output.WriteLineAsync(line).ConfigureAwait(false);
            }
            return;
        }
        await output.WriteAsync(TabWriter.Align([Render(null), .. lines])).ConfigureAwait(false);
    }

    /// <summary>One row; null renders the header (each field's column name).</summary>
    public string Render(IReadOnlyDictionary<string, string?>? row)
    {
        var text = new StringBuilder();
        var i = 0;
        while (i < _template.Length)
        {
            var open = _template.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0)
            {
                text.Append(_template, i, _template.Length - i);
                break;
            }
            var close = _template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"template parsing error: unclosed action in '{_template}'");
            }
            text.Append(_template, i, open - i);
            text.Append(Evaluate(_template[(open + 2)..close].Trim(' ', '-'), row));
            i = close + 2;
        }
        return text.ToString();
    }

    private string Evaluate(string action, IReadOnlyDictionary<string, string?>? row)
    {
        var json = action.StartsWith("json ", StringComparison.Ordinal);
        var expression = json ? action["json ".Length..].Trim() : action;
        if (expression == ".")
        {
            return row is null ? "" : JsonObject(row);
        }
        if (!expression.StartsWith('.') || expression.Length < 2)
        {
            throw new FormatException($"template: unsupported action '{{{{{action}}}}}': use {{{{.Field}}}}, {{{{json .}}}} or {{{{json .Field}}}}");
        }
        var field = expression[1..];
        if (row is null)
        {
            return _headers.TryGetValue(field, out var header) ? header : field.ToUpperInvariant();
        }
        if (!row.TryGetValue(field, out var value))
        {
            throw new FormatException($"template: can't evaluate field {field}; fields: {string.Join(", ", row.Keys.Order(StringComparer.Ordinal))}");
        }
        // A null is Go's nil: "<nil>" in text, null in JSON.
        return json ? (value is null ? "null" : GoText.JsonString(value)) : value ?? "<nil>";
    }

    /// <summary>Go's encoding of a map[string]string: keys sorted, strings escaped as Go escapes them.</summary>
    private static string JsonObject(IReadOnlyDictionary<string, string?> row) =>
        "{" + string.Join(',', row.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => GoText.JsonString(kv.Key) + ":" + (kv.Value is null ? "null" : GoText.JsonString(kv.Value)))) + "}";
}

/// <summary>Go's text/tabwriter as the docker CLI sets it up (minwidth 10, padding 3, spaces): tab-ended cells aligned.</summary>
internal static class TabWriter
{
    public const int MinWidth = 10;
    public const int Padding = 3;

    public static string Align(IReadOnlyList<string> lines, int minWidth = MinWidth, int padding = Padding)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var split = lines.SelectMany(l => l.Split('\n')).Select(l => l.Split('\t')).ToList();
        var columns = split.Count == 0 ? 0 : split.Max(c => c.Length) - 1;
        var widths = new int[Math.Max(columns, 0)];
        for (var c = 0; c < columns; c++)
        {
            var widest = split.Where(cells => cells.Length - 1 > c).Select(cells => cells[c].Length).DefaultIfEmpty(0).Max();
            widths[c] = Math.Max(widest + padding, minWidth);
        }
        var text = new StringBuilder();
        foreach (var cells in split)
        {
            for (var c = 0; c < cells.Length; c++)
            {
                text.Append(c < cells.Length - 1 ? cells[c].PadRight(widths[c]) : cells[c]);
            }
            text.Append('\n');
        }
        return text.ToString();
    }
}
