namespace Strata.Build.Syntax;

/// <summary>
/// A Dockerfile error at a place in the file: <see cref="Location"/> is the "Dockerfile:3" docker prints
/// above the message.
/// </summary>
public abstract class DockerfileException : Exception
{
    protected DockerfileException(string fileName, int startLine, int endLine, string detail, string message)
        : base(message)
    {
        FileName = fileName;
        StartLine = startLine;
        EndLine = Math.Max(startLine, endLine);
        Detail = detail;
    }

    /// <summary>The file's name as given to the parser (the -f argument, "Dockerfile" by default).</summary>
    public string FileName { get; }

    /// <summary>The first line of the instruction at fault, 1-based.</summary>
    public int StartLine { get; }

    /// <summary>Its last line (continuations and heredocs included).</summary>
    public int EndLine { get; }

    /// <summary>The error without its location ("unknown instruction: FOO").</summary>
    public string Detail { get; }

    /// <summary>Where, as docker prints it: "Dockerfile:3".</summary>
    public string Location => $"{FileName}:{StartLine}";
}

/// <summary>
/// A Dockerfile that cannot be parsed. The message is docker's ("dockerfile parse error on line 3: unknown
/// instruction: ADDD (did you mean ADD?)").
/// </summary>
public sealed class DockerfileParseException(string fileName, int startLine, int endLine, string detail)
    : DockerfileException(fileName, startLine, endLine, detail, $"dockerfile parse error on line {startLine}: {detail}");

/// <summary>
/// An instruction whose variables cannot be substituted, or that names what does not exist (a stage, a
/// target); the message is BuildKit's ("failed to process \"${x\": syntax error: missing '}'").
/// </summary>
public sealed class DockerfileEvaluationException(string fileName, int startLine, int endLine, string detail)
    : DockerfileException(fileName, startLine, endLine, detail, detail);

/// <summary>An instruction's arguments or flags that do not make sense; the parser adds the location.</summary>
#pragma warning disable CA1064 // internal: always caught and rethrown with the location
internal sealed class InstructionException(string message) : Exception(message);
#pragma warning restore CA1064
