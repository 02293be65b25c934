using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.Cli.Commands;

/// <summary>
/// What the list commands print, in docker's formats: one value a line (--quiet), an aligned table, or
/// indented JSON (--format json). One writer, as docker's formatter package is, so every list looks alike.
/// </summary>
internal static class Output
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task WriteLinesAsync(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            await Console.Out.WriteLineAsync(line).ConfigureAwait(false);
        }
    }

    /// <summary>Each column padded to its widest cell, three spaces apart; the last one is not padded.</summary>
    public static Task WriteTableAsync(string[] header, IEnumerable<string[]> rows)
    {
        List<string[]> table = [header, .. rows];
        var widths = Enumerable.Range(0, header.Length).Select(i => table.Max(r => r[i].Length)).ToArray();
        return WriteLinesAsync(table.Select(row =>
            string.Join("   ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd()));
    }

    public static Task WriteJsonAsync(JsonNode node) => Console.Out.WriteLineAsync(node.ToJsonString(Indented));
}
