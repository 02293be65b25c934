using Strata.Build.Syntax;

namespace Strata.Build.Instructions;

/// <summary>
/// A checked instruction, its arguments as written (variables not yet substituted: that depends on the
/// stage's ARG and ENV values, see <see cref="Stages.StageScope"/>). <see cref="Node"/> keeps the source text
/// and lines for messages.
/// </summary>
public abstract record Instruction(SyntaxNode Node)
{
    public int Line => Node.StartLine;
}

/// <summary>A name, optionally with a value ("ARG NAME" declares without a default).</summary>
public sealed record KeyValue(string Key, string? Value);

/// <summary>FROM [--platform=P] image [AS name]: starts a stage.</summary>
public sealed record FromInstruction(SyntaxNode Node, string BaseName, string? StageName, string? Platform) : Instruction(Node);

/// <summary>ARG name[=default] …: before the first FROM a global (meta) argument, usable only in FROM.</summary>
public sealed record ArgInstruction(SyntaxNode Node, IReadOnlyList<KeyValue> Args) : Instruction(Node);

/// <summary>
/// A command in shell form (run by the stage's SHELL, <see cref="PrependShell"/>) or exec form (a JSON array).
/// </summary>
public sealed record CommandLine(IReadOnlyList<string> Arguments, bool PrependShell);

/// <summary>A file a heredoc gives a RUN (its script when it is the command, else a file descriptor).</summary>
public sealed record InlineFile(string Name, string Data, bool Chomp, int FileDescriptor)
{
    public string EffectiveData => Chomp ? Heredoc.StripLeadingTabs(Data) : Data;
}

/// <summary>RUN [--mount=…] [--network=…] [--security=…] command.</summary>
public sealed record RunInstruction(
    SyntaxNode Node,
    CommandLine Command,
    IReadOnlyList<InlineFile> Files,
    IReadOnlyList<RunMount> Mounts,
    string? Network,
    string? Security) : Instruction(Node);

/// <summary>CMD: the image's default command or ENTRYPOINT's default arguments.</summary>
public sealed record CmdInstruction(SyntaxNode Node, CommandLine Command) : Instruction(Node);

/// <summary>ENTRYPOINT: an empty exec form clears it.</summary>
public sealed record EntrypointInstruction(SyntaxNode Node, CommandLine Command) : Instruction(Node);

/// <summary>The content of a heredoc source of COPY or ADD: it becomes a file named after its delimiter.</summary>
public sealed record SourceContent(string Path, string Data, bool Expand);

/// <summary>COPY [--from] [--chown] [--chmod] [--link] [--parents] [--exclude] src… dest.</summary>
public sealed record CopyInstruction(
    SyntaxNode Node,
    IReadOnlyList<string> Sources,
    IReadOnlyList<SourceContent> Contents,
    string Destination,
    string? From,
    string? Chown,
    string? Chmod,
    bool Link,
    bool Parents,
    IReadOnlyList<string> Excludes) : Instruction(Node);

/// <summary>ADD [--chown] [--chmod] [--link] [--checksum] [--keep-git-dir] [--unpack] [--exclude] src… dest.</summary>
public sealed record AddInstruction(
    SyntaxNode Node,
    IReadOnlyList<string> Sources,
    IReadOnlyList<SourceContent> Contents,
    string Destination,
    string? Chown,
    string? Chmod,
    bool Link,
    bool KeepGitDir,
    string? Checksum,
    bool? Unpack,
    IReadOnlyList<string> Excludes) : Instruction(Node);

/// <summary>ENV key=value … (or the legacy ENV key value).</summary>
public sealed record EnvInstruction(SyntaxNode Node, IReadOnlyList<KeyValue> Env) : Instruction(Node);

/// <summary>LABEL key=value … (or the legacy LABEL key value).</summary>
public sealed record LabelInstruction(SyntaxNode Node, IReadOnlyList<KeyValue> Labels) : Instruction(Node);

public sealed record WorkdirInstruction(SyntaxNode Node, string Path) : Instruction(Node);

public sealed record UserInstruction(SyntaxNode Node, string User) : Instruction(Node);

/// <summary>EXPOSE port[/proto] …, sorted as BuildKit sorts them.</summary>
public sealed record ExposeInstruction(SyntaxNode Node, IReadOnlyList<string> Ports) : Instruction(Node);

public sealed record VolumeInstruction(SyntaxNode Node, IReadOnlyList<string> Volumes) : Instruction(Node);

public sealed record StopSignalInstruction(SyntaxNode Node, string Signal) : Instruction(Node);

/// <summary>
/// HEALTHCHECK NONE (Test ["NONE"]) or HEALTHCHECK [options] CMD command (Test ["CMD", …] for the exec form,
/// ["CMD-SHELL", "command"] for the shell form), as the image config's Healthcheck holds it. Zero durations
/// and retries mean "inherit the default".
/// </summary>
public sealed record HealthcheckInstruction(
    SyntaxNode Node,
    IReadOnlyList<string> Test,
    TimeSpan Interval,
    TimeSpan Timeout,
    TimeSpan StartPeriod,
    TimeSpan StartInterval,
    int Retries) : Instruction(Node);

public sealed record ShellInstruction(SyntaxNode Node, IReadOnlyList<string> Shell) : Instruction(Node);

/// <summary>ONBUILD instruction: kept as text, run by the builds that use this image as their base.</summary>
public sealed record OnbuildInstruction(SyntaxNode Node, string Expression) : Instruction(Node);

/// <summary>MAINTAINER name (deprecated by the reference in favour of LABEL; still sets the Author field).</summary>
public sealed record MaintainerInstruction(SyntaxNode Node, string Maintainer) : Instruction(Node);
