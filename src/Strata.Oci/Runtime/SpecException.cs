namespace Strata.Oci.Runtime;

/// <summary>A config.json that cannot be used: the message names the field and what is wrong with it.</summary>
public sealed class SpecException : Exception
{
    public SpecException(string message) : base(message) { }
    public SpecException(string message, Exception inner) : base(message, inner) { }
    public SpecException() { }
}
