using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Strata.Engine.Api.Server;

/// <summary>Query parameters read as moby's httputils reads them.</summary>
public static class Query
{
    /// <summary>httputils.BoolValue: absent, "", "0", "no", "false" and "none" are false, anything else true.</summary>
    public static bool Bool(HttpContext context, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        var value = context.Request.Query[name].ToString().Trim().ToLowerInvariant();
        return value is not ("" or "0" or "no" or "false" or "none");
    }

    /// <summary>An optional integer; absent or empty is 0.</summary>
    public static bool TryInt(HttpContext context, string name, out int value, out string error)
    {
        ArgumentNullException.ThrowIfNull(context);
        var text = context.Request.Query[name].ToString();
        error = "";
        value = 0;
        if (text.Length == 0 || int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }
        error = $"strconv.Atoi: parsing \"{text}\": invalid syntax";
        return false;
    }

    /// <summary>For routes that serve no filters yet: an empty set passes, any filter is refused rather than ignored. Routes that filter read <see cref="Filters"/>.</summary>
    public static bool TryNoFilters(HttpContext context, out string error)
    {
        ArgumentNullException.ThrowIfNull(context);
        var text = context.Request.Query["filters"].ToString().Trim();
        error = "";
        if (text is "" or "{}")
        {
            return true;
        }
        error = "filters are not supported yet by this daemon";
        return false;
    }
}
