using Strata.Build.Instructions;
using Strata.Build.Syntax;

namespace Strata.Build.Stages;

/// <summary>
/// The global scope: the ARGs before the first FROM with the build's values, and the automatic platform ARGs.
/// Only FROM lines read it; a stage sees a global ARG only by declaring it again (Dockerfile reference,
/// "Understand how ARG and FROM interact").
/// </summary>
public sealed class GlobalScope : IVariableLookup
{
    private readonly Dictionary<string, string?> _args = new(StringComparer.Ordinal);

    private GlobalScope(BuildOptions options)
    {
        Options = options;
        foreach (var (k, v) in options.PlatformArgs())
        {
            _args[k] = v;
        }
    }

    public BuildOptions Options { get; }

    /// <summary>The names of --build-arg values some ARG declared (the others go unused, as docker warns).</summary>
    internal HashSet<string> Consumed { get; } = new(StringComparer.Ordinal);

    public static GlobalScope Evaluate(Dockerfile dockerfile, BuildOptions options)
    {
        ArgumentNullException.ThrowIfNull(dockerfile);
        ArgumentNullException.ThrowIfNull(options);
        var scope = new GlobalScope(options);
        foreach (var arg in dockerfile.GlobalArgs)
        {
            var lexer = new ShellLexer(dockerfile.EscapeToken);
            var values = new List<(string Key, string? Value)>();
            foreach (var kv in arg.Args)
            {
                var key = Expand(dockerfile, arg, lexer, kv.Key, scope);
                string? value;
                if (options.BuildArgs.TryGetValue(key, out var given))
                {
                    scope.Consumed.Add(key);
                    value = given;
                }
                else if (kv.Value is not null)
                {
                    value = Expand(dockerfile, arg, lexer, kv.Value, scope);
                }
                else
                {
                    value = scope._args.GetValueOrDefault(key);
                }
                values.Add((key, value));
            }
            foreach (var (key, value) in values)
            {
                scope._args[key] = value;
            }
        }
        return scope;
    }

    /// <summary>A global ARG's value, or null when it is undeclared or declared without a value.</summary>
    public string? this[string name] => _args.GetValueOrDefault(name);

    public bool TryGet(string name, out string value)
    {
        if (_args.TryGetValue(name, out var v) && v is not null)
        {
            value = v;
            return true;
        }
        value = "";
        return false;
    }

    internal static string Expand(Dockerfile dockerfile, Instruction instruction, ShellLexer lexer, string word, IVariableLookup variables)
    {
        try
        {
            return lexer.ProcessWord(word, variables);
        }
        catch (ShellLexerException e)
        {
            throw new DockerfileEvaluationException(dockerfile.FileName, instruction.Node.StartLine, instruction.Node.EndLine, e.Message);
        }
    }
}

/// <summary>
/// The variables of one stage as its instructions run: the base's ENV, then each ARG and ENV in order. A name
/// set by ENV hides an ARG of the same name; an ARG's value comes from --build-arg, else its default (with
/// the variables before it substituted), else the global ARG of the same name. Substitution happens on the
/// instructions the reference lists (ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR, and the
/// RUN --mount options); every variable in one instruction takes its value from before that instruction.
/// </summary>
public sealed class StageScope : IVariableLookup
{
    private readonly Dockerfile _dockerfile;
    private readonly GlobalScope _global;
    private readonly List<KeyValuePair<string, string>> _env = [];
    private readonly Dictionary<string, string?> _args = new(StringComparer.Ordinal);
    private readonly ShellLexer _lexer;
    private readonly ShellLexer _heredocLexer;

    /// <param name="baseEnv">The base image's or base stage's Env, KEY=VALUE each.</param>
    public StageScope(Dockerfile dockerfile, GlobalScope global, IEnumerable<string> baseEnv)
    {
        ArgumentNullException.ThrowIfNull(dockerfile);
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(baseEnv);
        _dockerfile = dockerfile;
        _global = global;
        _lexer = new ShellLexer(dockerfile.EscapeToken);
        _heredocLexer = new ShellLexer(dockerfile.EscapeToken) { SkipProcessQuotes = true };
        foreach (var e in baseEnv)
        {
            var eq = e.IndexOf('=', StringComparison.Ordinal);
            SetEnv(eq < 0 ? e : e[..eq], eq < 0 ? "" : e[(eq + 1)..]);
        }
    }

    /// <summary>The stage's environment in the image config's form and order (KEY=VALUE).</summary>
    public IReadOnlyList<string> Env => [.. _env.Select(kv => $"{kv.Key}={kv.Value}")];

    /// <summary>The ARGs this stage declared, with their values (null: declared without one).</summary>
    public IReadOnlyDictionary<string, string?> Args => _args;

    /// <summary>
    /// The environment a RUN gets: the ARGs with a value, the ENV over them, and the predefined proxy ARGs given
    /// to the build.
    /// </summary>
    public IReadOnlyList<string> RunEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in BuildOptions.PredefinedArgs)
        {
            if (_global.Options.BuildArgs.TryGetValue(name, out var v))
            {
                env[name] = v;
            }
        }
        foreach (var (k, v) in _args)
        {
            if (v is not null)
            {
                env[k] = v;
            }
        }
        foreach (var (k, v) in _env)
        {
            env[k] = v;
        }
        return [.. env.Select(kv => $"{kv.Key}={kv.Value}")];
    }

    public bool TryGet(string name, out string value)
    {
        for (var i = _env.Count - 1; i >= 0; i--)
        {
            if (_env[i].Key == name)
            {
                value = _env[i].Value;
                return true;
            }
        }
        if (_args.TryGetValue(name, out var v) && v is not null)
        {
            value = v;
            return true;
        }
        value = "";
        return false;
    }

    private void SetEnv(string key, string value)
    {
        var i = _env.FindIndex(kv => kv.Key == key);
        if (i >= 0)
        {
            _env[i] = new(key, value);
        }
        else
        {
            _env.Add(new(key, value));
        }
    }

    /// <summary>
    /// Substitutes the instruction's variables and applies what it declares (ARG, ENV) to the scope; returns the
    /// instruction with its words substituted. Instructions the reference does not list come back unchanged.
    /// </summary>
    public Instruction Apply(Instruction instruction)
    {
        ArgumentNullException.ThrowIfNull(instruction);
        switch (instruction)
        {
            case ArgInstruction arg:
            {
                var declared = new List<KeyValue>();
                foreach (var kv in arg.Args)
                {
                    var key = Expand(arg, kv.Key);
                    string? value;
                    if (_global.Options.BuildArgs.TryGetValue(key, out var given))
                    {
                        // A value the user gave is taken as is, not substituted again.
                        _global.Consumed.Add(key);
                        value = given;
                    }
                    else if (kv.Value is not null)
                    {
                        value = Expand(arg, kv.Value);
                    }
                    else
                    {
                        value = _global[key];
                    }
                    declared.Add(new KeyValue(key, value));
                }
                foreach (var kv in declared)
                {
                    _args[kv.Key] = kv.Value;
                }
                return arg with { Args = declared };
            }
            case EnvInstruction env:
            {
                var pairs = env.Env.Select(kv => new KeyValue(Expand(env, kv.Key), Expand(env, kv.Value!))).ToList();
                foreach (var kv in pairs)
                {
                    SetEnv(kv.Key, kv.Value!);
                }
                return env with { Env = pairs };
            }
            case LabelInstruction label:
                return label with { Labels = [.. label.Labels.Select(kv => new KeyValue(Expand(label, kv.Key), Expand(label, kv.Value!)))] };
            case CopyInstruction copy:
                return copy with
                {
                    Sources = [.. copy.Sources.Select(s => Expand(copy, s))],
                    Contents = [.. copy.Contents.Select(c => ExpandContent(copy, c))],
                    Destination = Expand(copy, copy.Destination),
                    From = ExpandOptional(copy, copy.From),
                    Chown = ExpandOptional(copy, copy.Chown),
                    Chmod = ExpandOptional(copy, copy.Chmod),
                    Excludes = [.. copy.Excludes.Select(s => Expand(copy, s))],
                };
            case AddInstruction add:
                return add with
                {
                    Sources = [.. add.Sources.Select(s => Expand(add, s))],
                    Contents = [.. add.Contents.Select(c => ExpandContent(add, c))],
                    Destination = Expand(add, add.Destination),
                    Chown = ExpandOptional(add, add.Chown),
                    Chmod = ExpandOptional(add, add.Chmod),
                    Checksum = ExpandOptional(add, add.Checksum),
                    Excludes = [.. add.Excludes.Select(s => Expand(add, s))],
                };
            case ExposeInstruction expose:
                return expose with { Ports = [.. expose.Ports.SelectMany(p => ExpandWords(expose, p))] };
            case VolumeInstruction volume:
                return volume with { Volumes = [.. volume.Volumes.Select(v => Expand(volume, v))] };
            case WorkdirInstruction workdir:
                return workdir with { Path = Expand(workdir, workdir.Path) };
            case UserInstruction user:
                return user with { User = Expand(user, user.User) };
            case StopSignalInstruction stop:
                return stop with { Signal = Expand(stop, stop.Signal) };
            case RunInstruction run:
                return run with
                {
                    Mounts = [.. run.Mounts.Select(m => m with
                    {
                        Target = ExpandOptional(run, m.Target),
                        Source = ExpandOptional(run, m.Source),
                        From = ExpandOptional(run, m.From),
                        Id = ExpandOptional(run, m.Id),
                    })],
                };
            default:
                return instruction;
        }
    }

    private string Expand(Instruction instruction, string word) =>
        GlobalScope.Expand(_dockerfile, instruction, _lexer, word, this);

    private string? ExpandOptional(Instruction instruction, string? word) => word is null ? null : Expand(instruction, word);

    private IReadOnlyList<string> ExpandWords(Instruction instruction, string word)
    {
        try
        {
            return _lexer.ProcessWords(word, this);
        }
        catch (ShellLexerException e)
        {
            throw new DockerfileEvaluationException(_dockerfile.FileName, instruction.Node.StartLine, instruction.Node.EndLine, e.Message);
        }
    }

    // A heredoc file's content takes variables and escapes unless its delimiter was quoted; its quotes are text.
    private SourceContent ExpandContent(Instruction instruction, SourceContent content) =>
        content.Expand ? content with { Data = GlobalScope.Expand(_dockerfile, instruction, _heredocLexer, content.Data, this) } : content;
}
