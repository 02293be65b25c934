using System.Globalization;

namespace Strata.Cgroups;

internal static class Invariant
{
    public static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);
    public static string Str(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Page sizes name files ("hugetlb.2MB.max"); anything but letters and digits could leave the directory.</summary>
    public static string CheckPageSize(string pageSize) =>
        pageSize.Length > 0 && pageSize.All(char.IsAsciiLetterOrDigit)
            ? pageSize
            : throw new CgroupException($"invalid hugepage size \"{pageSize}\" (expected e.g. \"2MB\")");
}
