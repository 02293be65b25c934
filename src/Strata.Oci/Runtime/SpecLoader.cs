using System.Text.Json;

namespace Strata.Oci.Runtime;

/// <summary>Reads and validates a bundle's config.json.</summary>
public static class SpecLoader
{
    public const string ConfigFileName = "config.json";

    public static Spec LoadFromBundle(string bundle) =>
        ParseAndValidate(ReadConfig(bundle), Path.Combine(bundle, ConfigFileName));

    /// <summary>The bytes of the bundle's config.json, with errors that name the bundle.</summary>
    public static byte[] ReadConfig(string bundle)
    {
        try
        {
            return File.ReadAllBytes(Path.Combine(bundle, ConfigFileName));
        }
        catch (FileNotFoundException)
        {
            throw new SpecException($"JSON specification file {ConfigFileName} not found in bundle {bundle}");
        }
        catch (DirectoryNotFoundException)
        {
            throw new SpecException($"bundle directory {bundle} does not exist");
        }
    }

    public static Spec ParseAndValidate(ReadOnlySpan<byte> json, string source = ConfigFileName)
    {
        var spec = Parse(json, source);
        SpecValidator.Validate(spec);
        return spec;
    }

    /// <summary>Parses config.json bytes; type errors name the JSON path of the offending field.</summary>
    /// <remarks>
    /// Reads with <see cref="SpecReader"/>, not JsonSerializer: the same result and errors without the
    /// serializer's metadata initialisation, which cost a fifth of a container start. Serialize stays on
    /// the serializer.
    /// </remarks>
    public static Spec Parse(ReadOnlySpan<byte> json, string source = ConfigFileName)
    {
        try
        {
            return SpecReader.Read(json)
                ?? throw new SpecException($"{source}: the document is null, expected an object");
        }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(e.Path) ? "" : $" at {e.Path}";
            var line = e.LineNumber is { } l ? $" (line {l + 1})" : "";
            throw new SpecException($"{source}: malformed JSON{where}{line}: {Describe(e)}", e);
        }
    }

    public static string Serialize(Spec spec) => JsonSerializer.Serialize(spec, RuntimeJsonContext.Default.Spec);

    private static string Describe(JsonException e)
    {
        // System.Text.Json's message repeats the path and line; keep only its first sentence.
        var message = e.Message;
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
