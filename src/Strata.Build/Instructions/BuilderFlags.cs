using Strata.Build.Syntax;

namespace Strata.Build.Instructions;

/// <summary>
/// An instruction's --flags checked against the ones it takes, with BuildKit's rules and messages
/// (instructions/bflag.go): --name=value for strings, --name or --name=true|false for booleans, a
/// repeatable flag collecting every value, "--" ending the flags, an unknown or repeated flag an error.
/// </summary>
internal sealed class BuilderFlags(IReadOnlyList<string> args)
{
    private enum Kind
    {
        Bool,
        String,
        Strings,
    }

    private readonly Dictionary<string, Kind> _defined = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public BuilderFlags Bool(string name) => Define(name, Kind.Bool);

    public BuilderFlags String(string name) => Define(name, Kind.String);

    public BuilderFlags Strings(string name) => Define(name, Kind.Strings);

    private BuilderFlags Define(string name, Kind kind)
    {
        _defined.Add(name, kind);
        return this;
    }

    public BuilderFlags Parse()
    {
        foreach (var a in args)
        {
            if (a == "--")
            {
                // POSIX Utility Syntax Guideline 10: the first "--" ends the options.
                break;
            }
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                throw new InstructionException($"arg should start with -- : {a}");
            }
            var eq = a.IndexOf('=', StringComparison.Ordinal);
            var flagName = eq < 0 ? a : a[..eq];
            var value = eq < 0 ? "" : a[(eq + 1)..];
            var name = flagName[2..];
            if (!_defined.TryGetValue(name, out var kind))
            {
                throw new InstructionException($"unknown flag: {flagName}{Suggest.For(name, _defined.Keys, caseSensitive: true)}");
            }
            if (_values.ContainsKey(name) && kind != Kind.Strings)
            {
                throw new InstructionException($"duplicate flag specified: {flagName}");
            }
            var list = _values.TryGetValue(name, out var existing) ? existing : _values[name] = [];
            switch (kind)
            {
                case Kind.Bool:
                    if (eq >= 0 && value.Length == 0)
                    {
                        throw new InstructionException($"missing a value on flag: {flagName}");
                    }
                    list.Add(value.ToLowerInvariant() switch
                    {
                        "" or "true" => "true",
                        "false" => "false",
                        _ => throw new InstructionException($"expecting boolean value for flag {flagName}, not: {value}"),
                    });
                    break;
                default:
                    if (eq < 0)
                    {
                        throw new InstructionException($"missing a value on flag: {flagName}");
                    }
                    list.Add(value);
                    break;
            }
        }
        return this;
    }

    public bool IsUsed(string name) => _values.ContainsKey(name);

    public string? GetString(string name) => _values.TryGetValue(name, out var v) ? v[0] : null;

    public bool GetBool(string name) => _values.TryGetValue(name, out var v) && v[0] == "true";

    public IReadOnlyList<string> GetStrings(string name) => _values.TryGetValue(name, out var v) ? v : [];
}

/// <summary>
/// "Did you mean" hints for a misspelt name, as BuildKit's suggest package gives them: the closest candidate
/// fewer than three edits away (the bound HCL uses), in the case the name was written in.
/// </summary>
internal static class Suggest
{
    public static string For(string value, IEnumerable<string> candidates, bool caseSensitive)
    {
        var v = caseSensitive ? value : value.ToLowerInvariant();
        string? best = null;
        var bestDistance = 3;
        foreach (var candidate in candidates.Order(StringComparer.Ordinal))
        {
            var c = caseSensitive ? candidate : candidate.ToLowerInvariant();
            if (c == v)
            {
                // An exact match means the error is about something else.
                return "";
            }
            var d = Levenshtein(v, c);
            if (d < bestDistance)
            {
                best = c;
                bestDistance = d;
            }
        }
        if (best is null)
        {
            return "";
        }
        if (!caseSensitive)
        {
            best = string.Equals(value, value.ToLowerInvariant(), StringComparison.Ordinal) ? best.ToLowerInvariant()
                : string.Equals(value, value.ToUpperInvariant(), StringComparison.Ordinal) ? best.ToUpperInvariant()
                : best;
        }
        return $" (did you mean {best}?)";
    }

    private static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
