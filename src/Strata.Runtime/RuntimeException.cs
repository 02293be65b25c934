namespace Strata.Runtime;

/// <summary>
/// A failure the runtime reports to its caller, with the message runc would print. Exit code 1 like runc
/// unless a command says otherwise.
/// </summary>
public sealed class RuntimeException : Exception
{
    public RuntimeException(string message) : base(message) { }
    public RuntimeException(string message, Exception inner) : base(message, inner) { }
    public RuntimeException() { }
}
