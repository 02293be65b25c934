using System.Globalization;
using System.Text;
using Strata.Build.Syntax;

namespace Strata.Build.Instructions;

public enum RunMountType
{
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}

public enum CacheSharing
{
    Shared,
    Private,
    Locked,
}

/// <summary>
/// One RUN --mount (Dockerfile reference, "RUN --mount"): a comma-separated list of key=value options,
/// type=bind by default. Values are kept as written; "from" and the paths take the stage's variables.
/// </summary>
public sealed record RunMount(
    RunMountType Type,
    string? Target,
    string? Source,
    string? From,
    bool ReadOnly,
    string? Id,
    CacheSharing Sharing,
    string? Mode,
    string? Uid,
    string? Gid,
    bool Required,
    string? Size,
    string? Env)
{
    /// <summary>Parses a --mount value ("type=cache,target=/root/.cache,sharing=locked").</summary>
    public static RunMount Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var fields = SplitCsv(value);
        var type = RunMountType.Bind;
        foreach (var field in fields)
        {
            var (key, v, _) = Split(field);
            if (key == "type")
            {
                type = v switch
                {
                    "bind" => RunMountType.Bind,
                    "cache" => RunMountType.Cache,
                    "tmpfs" => RunMountType.Tmpfs,
                    "secret" => RunMountType.Secret,
                    "ssh" => RunMountType.Ssh,
                    _ => throw new InstructionException($"unsupported mount type \"{v}\""),
                };
            }
        }

        string? target = null, source = null, from = null, id = null, mode = null, uid = null, gid = null, size = null, env = null;
        // Bind and cache mounts are read-only or writable by type: a bind mount of the context is read-only
        // unless rw is given, a cache is writable.
        var readOnly = type == RunMountType.Bind;
        var required = false;
        var sharing = CacheSharing.Shared;
        foreach (var field in fields)
        {
            var (key, v, hasValue) = Split(field);
            switch (key)
            {
                case "type":
                    break;
                case "target" or "dst" or "destination":
                    target = v;
                    break;
                case "source" or "src":
                    source = v;
                    break;
                case "from":
                    from = v;
                    break;
                case "readonly" or "ro":
                    readOnly = !hasValue || ParseBool(key, v);
                    break;
                case "readwrite" or "rw":
                    readOnly = hasValue && !ParseBool(key, v);
                    break;
                case "id":
                    id = v;
                    break;
                case "sharing":
                    sharing = v switch
                    {
                        "shared" => CacheSharing.Shared,
                        "private" => CacheSharing.Private,
                        "locked" => CacheSharing.Locked,
                        _ => throw new InstructionException($"unsupported sharing value \"{v}\""),
                    };
                    break;
                case "mode":
                    mode = v;
                    break;
                case "uid":
                    uid = v;
                    break;
                case "gid":
                    gid = v;
                    break;
                case "required":
                    required = !hasValue || ParseBool(key, v);
                    break;
                case "size":
                    size = v;
                    break;
                case "env":
                    env = v;
                    break;
                default:
                    throw new InstructionException($"unexpected key '{key}' in '{field}'");
            }
        }

        if (target is null && type is RunMountType.Bind or RunMountType.Cache or RunMountType.Tmpfs)
        {
            throw new InstructionException($"mount type {type.ToString().ToLowerInvariant()} requires a target");
        }
        if (type == RunMountType.Secret && target is null && id is null && env is null)
        {
            throw new InstructionException("one of source, target or env is required for a secret mount");
        }
        if (type == RunMountType.Secret && id is null)
        {
            // A secret's id defaults to the base name of its target.
            id = target is null ? null : target.TrimEnd('/').Split('/')[^1];
        }
        return new RunMount(type, target, source, from, readOnly, id, sharing, mode, uid, gid, required, size, env);
    }

    private static (string Key, string Value, bool HasValue) Split(string field)
    {
        var eq = field.IndexOf('=', StringComparison.Ordinal);
        return eq < 0
            ? (field.Trim().ToLowerInvariant(), "", false)
            : (field[..eq].Trim().ToLowerInvariant(), field[(eq + 1)..], true);
    }

    private static bool ParseBool(string key, string value) => value.ToLowerInvariant() switch
    {
        "1" or "t" or "true" => true,
        "0" or "f" or "false" => false,
        _ => throw new InstructionException(string.Create(CultureInfo.InvariantCulture, $"invalid value for {key}: {value}")),
    };

    // The value is a CSV record (BuildKit reads it with encoding/csv): fields split on commas, a field in
    // double quotes may hold commas, "" inside quotes is one quote.
    private static List<string> SplitCsv(string value)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < value.Length; i++)
        {
            var ch = value[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < value.Length && value[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (ch == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(ch);
                }
            }
            else if (ch == '"')
            {
                quoted = true;
            }
            else if (ch == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(ch);
            }
        }
        if (quoted)
        {
            throw new InstructionException($"parse error on mount \"{value}\": extraneous or missing \" in quoted-field");
        }
        fields.Add(field.ToString());
        return fields;
    }
}
