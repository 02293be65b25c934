using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Strata.Images.Archive;

/// <summary>
/// JSON for the documents a save or load writes. The default encoder escapes "+" as \u002B; docker,
/// containerd and skopeo write media types such as "…manifest.v2+json" literally, and so does Strata
/// (these files are never embedded in HTML, where the escaping matters).
/// </summary>
internal static class ArchiveJson
{
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> type)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions))
        {
            JsonSerializer.Serialize(writer, value, type);
        }
        return stream.ToArray();
    }
}
