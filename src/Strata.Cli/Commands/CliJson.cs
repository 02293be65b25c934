using System.Text.Json.Serialization;

namespace Strata.Cli.Commands;

/// <summary>The command line's own JSON (source-generated, for NativeAOT): what it prints that is not an API type.</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(Dictionary<string, Dictionary<string, bool>>))]
internal sealed partial class CliJson : JsonSerializerContext;
