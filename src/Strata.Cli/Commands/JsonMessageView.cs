using System.Text;
using System.Text.Json;
using Strata.Cli.Client;
using Strata.Engine.Api.Types;

namespace Strata.Cli.Commands;

/// <summary>
/// docker's jsonmessage.DisplayJSONMessagesStream: the progress stream of pull, push and load as the docker
/// CLI draws it. On a terminal each layer keeps a line of its own, redrawn in place with a bar; elsewhere
/// only the status lines are printed (one a line, no bars). An error message ends the stream as a
/// <see cref="DaemonException"/>.
/// </summary>
internal sealed class JsonMessageView
{
    private readonly TextWriter _out;
    private readonly bool _terminal;
    private readonly int _width;
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    public JsonMessageView(TextWriter output, bool terminal)
    {
        _out = output;
        _terminal = terminal;
        _width = terminal ? SafeWidth() : 200;
    }

    /// <summary>The view for standard output (or standard error, as run's implicit pull prints).</summary>
    public static JsonMessageView ForConsole(bool standardError = false) => standardError
        ? new JsonMessageView(Console.Error, !Console.IsErrorRedirected)
        : new JsonMessageView(Console.Out, !Console.IsOutputRedirected);

    /// <summary>Every message of the response, in order; returns the aux records (a push's digest).</summary>
    public async Task<List<JsonMessage>> ShowAsync(Stream body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var aux = new List<JsonMessage>();
        using var reader = new StreamReader(body, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Trim().Length == 0)
            {
                continue;
            }
            var message = JsonSerializer.Deserialize(line, EngineApiJson.Default.JsonMessage)!;
            if (message.Aux is not null)
            {
                aux.Add(message);
                continue;
            }
            Show(message);
            await _out.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        return aux;
    }

    public void Show(JsonMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var diff = 0;
        if (m.Id is { Length: > 0 } id && (m.ProgressDetail is not null || !string.IsNullOrEmpty(m.Progress)))
        {
            if (!_lines.TryGetValue(id, out var line))
            {
                line = _lines.Count;
                _lines[id] = line;
                if (_terminal)
                {
                    _out.Write('\n');
                }
            }
            diff = _lines.Count - line;
            if (_terminal)
            {
                _out.Write($"\x1b[{diff}A");
            }
        }
        else
        {
            _lines.Clear();
        }
        Display(m);
        if (m.Id is { Length: > 0 } && _terminal && diff > 0)
        {
            _out.Write($"\x1b[{diff}B");
        }
    }

    /// <summary>JSONMessage.Display.</summary>
    private void Display(JsonMessage m)
    {
        if (m.ErrorDetail is { } error)
        {
            throw new DaemonException(500, error.Message);
        }
        if (m.Error is { Length: > 0 } text)
        {
            throw new DaemonException(500, text);
        }
        var endl = "";
        var bar = m.ProgressDetail is { } p ? Bar(p) : "";
        if (_terminal && m.Stream is null && m.ProgressDetail is not null)
        {
            _out.Write("\x1b[2K\r");
            endl = "\r";
        }
        else if (m.ProgressDetail is not null && bar.Length > 0)
        {
            // No bars off a terminal.
            return;
        }
        if (m.Id is { Length: > 0 } id)
        {
            _out.Write(id + ": ");
        }
        if (m.ProgressDetail is not null && _terminal)
        {
            _out.Write($"{m.Status} {bar}{endl}");
        }
        else if (!string.IsNullOrEmpty(m.Progress))
        {
            _out.Write($"{m.Status} {m.Progress}{endl}");
        }
        else if (m.Stream is not null)
        {
            _out.Write(m.Stream + endl);
        }
        else
        {
            _out.Write($"{m.Status}{endl}\n");
        }
    }

    /// <summary>JSONProgress.String: "[=====>    ]  1.2MB/3.4MB", the bar only on a terminal wider than 110 columns.</summary>
    internal string Bar(JsonProgress p)
    {
        var current = p.Current ?? 0;
        var total = p.Total ?? 0;
        if (current <= 0 && total <= 0)
        {
            return "";
        }
        if (total <= 0)
        {
            return $"{Units.HumanSize(current),8}";
        }
        var percentage = Math.Min((int)((double)current / total * 100) / 2, 50);
        var box = _width > 110 ? "[" + new string('=', percentage) + ">" + new string(' ', Math.Max(50 - percentage, 0)) + "] " : "";
        var numbers = current > total ? $"{Units.HumanSize(current),8}" : $"{Units.HumanSize(current),8}/{Units.HumanSize(total)}";
        return box + numbers;
    }

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 200;
        }
        catch (IOException)
        {
            return 200;
        }
    }
}
