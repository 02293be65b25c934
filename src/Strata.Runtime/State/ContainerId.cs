using System.Text.RegularExpressions;

namespace Strata.Runtime.State;

public static partial class ContainerId
{
    // runc's rule (libcontainer/factory_linux.go): ids become directory names under --root. Go's \w is
    // ASCII and its $ is the end of text; .NET's \w takes any Unicode letter and $ allows a final "\n".
    [GeneratedRegex(@"^[A-Za-z0-9_+\-\.]+\z")]
    private static partial Regex Valid();

    public static void Validate(string id)
    {
        if (string.IsNullOrEmpty(id))
            throw new RuntimeException("container id cannot be empty");
        if (id is "." or ".." || !Valid().IsMatch(id) || id.Length > 1024)
            throw new RuntimeException($"invalid container id format: {id}");
    }
}
