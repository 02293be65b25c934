using System.Globalization;

namespace Strata.Engine.Api.Server;

/// <summary>
/// A Docker Engine API version ("1.41"), compared part by part as moby's api/types/versions does: "1.9" is
/// older than "1.41", a part that is not a number counts as 0, a missing part as 0.
/// </summary>
public readonly record struct ApiVersion(int Major, int Minor) : IComparable<ApiVersion>
{
    /// <summary>
    /// The oldest version served, dockerd's own minimum since docker 25: Debian's docker 20.10 CLI speaks 1.41,
    /// but docker-compose 1.29 pins 1.38 for compose-spec files (1.21 for version 1 files, which stay refused).
    /// </summary>
    public static readonly ApiVersion Min = new(1, 24);

    /// <summary>
    /// The newest version served: the newest documented release (moby's api/docs/CHANGELOG.md, API module v1.56.0);
    /// an unversioned path is served at this version.
    /// </summary>
    public static readonly ApiVersion Max = new(1, 56);

    /// <summary>The version of a request path's "/vX.Y" prefix (its first two parts, leniently as moby reads them).</summary>
    public static ApiVersion Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('.');
        return new ApiVersion(Part(parts, 0), Part(parts, 1));
    }

    /// <summary>moby's versions.compare: -1, 0 or 1.</summary>
    public static int Compare(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var x = a.Split('.');
        var y = b.Split('.');
        for (var i = 0; i < Math.Max(x.Length, y.Length); i++)
        {
            var c = Part(x, i).CompareTo(Part(y, i));
            if (c != 0)
            {
                return Math.Sign(c);
            }
        }
        return 0;
    }

    public int CompareTo(ApiVersion other) => Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);

    public static bool operator <(ApiVersion a, ApiVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(ApiVersion a, ApiVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(ApiVersion a, ApiVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(ApiVersion a, ApiVersion b) => a.CompareTo(b) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}");

    private static int Part(string[] parts, int i) =>
        i < parts.Length && int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
}
