using System.Globalization;

namespace Strata.Runtime.Cli;

/// <summary>
/// runc's flag syntax (urfave/cli over Go's flag package): "-flag", "--flag", "--flag=value" and
/// "--flag value"; booleans take no value unless written "--flag=false". Engines call runtimes with
/// exactly these spellings, so the parser follows them rather than a general-purpose library's rules.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _all = new(StringComparer.Ordinal);

    public List<string> Positionals { get; } = [];

    /// <summary>Parses <paramref name="args"/> against flags: name (and aliases, "|"-separated) to whether it takes a value.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, bool> flags, bool stopAtFirstPositional = false)
    {
        var result = new CommandLine();
        var byName = new Dictionary<string, (string Canonical, bool TakesValue)>(StringComparer.Ordinal);
        foreach (var (spec, takesValue) in flags)
        {
            var names = spec.Split('|');
            foreach (var n in names)
                byName[n] = (names[0], takesValue);
        }
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                result.Positionals.AddRange(args.Skip(i + 1));
                break;
            }
            if (arg.Length > 1 && arg[0] == '-' && !(stopAtFirstPositional && result.Positionals.Count > 0))
            {
                var name = arg.TrimStart('-');
                string? inline = null;
                var eq = name.IndexOf('=', StringComparison.Ordinal);
                if (eq >= 0)
                {
                    inline = name[(eq + 1)..];
                    name = name[..eq];
                }
                if (!byName.TryGetValue(name, out var flag))
                    throw new UsageException($"flag provided but not defined: -{name}");
                if (flag.TakesValue)
                {
                    if (inline is null)
                    {
                        if (i + 1 >= args.Count)
                            throw new UsageException($"flag needs an argument: -{name}");
                        inline = args[++i];
                    }
                    result._values[flag.Canonical] = inline;
                    if (!result._all.TryGetValue(flag.Canonical, out var list))
                        result._all[flag.Canonical] = list = [];
                    list.Add(inline);
                }
                else
                {
                    result._values[flag.Canonical] = inline ?? "true";
                }
                continue;
            }
            result.Positionals.Add(arg);
        }
        return result;
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);

    /// <summary>Every value of a repeatable flag (--env A=1 --env B=2), in order.</summary>
    public IReadOnlyList<string> GetAll(string name) => _all.TryGetValue(name, out var list) ? list : [];

    public string Get(string name, string fallback) => _values.GetValueOrDefault(name) ?? fallback;

    public bool Has(string name) => _values.TryGetValue(name, out var v) && v is not ("false" or "0");

    public int GetInt(string name, int fallback)
    {
        var v = Get(name);
        if (v is null)
            return fallback;
        return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new UsageException($"invalid value \"{v}\" for flag -{name}: parse error");
    }
}

public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
    public UsageException() { }
    public UsageException(string message, Exception inner) : base(message, inner) { }
}
