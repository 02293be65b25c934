namespace Strata.Oci.Image;

/// <summary>
/// The repository-name and tag grammar of distribution-spec v1.1 ("Pulling manifests"):
/// name <c>[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*</c> and tag
/// <c>[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}</c>. Hand-written rather than a regex so the checks are cheap on
/// every request; a name that passes contains no ".", ".." or empty path component, so it is safe to use as
/// a relative path.
/// </summary>
public static class Reference
{
    /// <summary>Distribution limits a name to 255 characters (distribution reference/regexp.go, NameTotalLengthMax).</summary>
    public const int MaxNameLength = 255;

    public const int MaxTagLength = 128;

    public static bool IsValidRepository(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxNameLength)
        {
            return false;
        }
        foreach (var range in name.Split('/'))
        {
            if (!IsValidComponent(name[range]))
            {
                return false;
            }
        }
        return true;
    }

    public static bool IsValidTag(ReadOnlySpan<char> tag)
    {
        if (tag.IsEmpty || tag.Length > MaxTagLength || !(IsAlnum(tag[0]) || tag[0] == '_'))
        {
            return false;
        }
        foreach (var c in tag)
        {
            if (!(IsAlnum(c) || c is '_' or '.' or '-'))
            {
                return false;
            }
        }
        return true;
    }

    // component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := "." | "_" | "__" | "-"+
    private static bool IsValidComponent(ReadOnlySpan<char> component)
    {
        var i = 0;
        while (true)
        {
            var start = i;
            while (i < component.Length && IsLowerAlnum(component[i]))
            {
                i++;
            }
            if (i == start)
            {
                return false;
            }
            if (i == component.Length)
            {
                return true;
            }
            var sepStart = i;
            var c = component[i];
            if (c == '.')
            {
                i++;
            }
            else if (c == '_')
            {
                i++;
                if (i < component.Length && component[i] == '_')
                {
                    i++;
                }
            }
            else if (c == '-')
            {
                while (i < component.Length && component[i] == '-')
                {
                    i++;
                }
            }
            if (i == sepStart)
            {
                return false;
            }
        }
    }

    private static bool IsLowerAlnum(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');

    private static bool IsAlnum(char c) => IsLowerAlnum(c) || c is >= 'A' and <= 'Z';
}
