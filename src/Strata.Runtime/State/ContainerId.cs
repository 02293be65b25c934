namespace Strata.Runtime.State;

public static class ContainerId
{
    public static void Validate(string id)
    {
        if (string.IsNullOrEmpty(id))
            throw new RuntimeException("container id cannot be empty");
        if (id is "." or ".." || id.Length > 1024 || !id.All(IsIdChar))
            throw new RuntimeException($"invalid container id format: {id}");
    }

    // runc's rule (libcontainer/factory_linux.go, ^[\w+-\.]+$ with Go's ASCII \w): ids become directory
    // names under --root. A loop, not a Regex: the runtime starts per container and Regex costs startup time.
    private static bool IsIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '-' or '.';
}
