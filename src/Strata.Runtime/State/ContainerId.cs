using System.Text.RegularExpressions;

namespace Strata.Runtime.State;

public static partial class ContainerId
{
    // runc's rule (libcontainer/factory_linux.go): ids become directory names under --root.
    [GeneratedRegex(@"^[\w+\-\.]+$")]
    private static partial Regex Valid();

    public static void Validate(string id)
    {
        if (string.IsNullOrEmpty(id))
            throw new RuntimeException("container id cannot be empty");
        if (id is "." or ".." || !Valid().IsMatch(id) || id.Length > 1024)
            throw new RuntimeException($"invalid container id format: {id}");
    }
}
