// Why this file is long (about 1,000 lines) and repetitive on purpose: it is the hand-written equivalent of
// the serializer's generated reader for Spec, one Read method per Spec type and one per primitive (each
// integer width, nullable or not), each a flat switch over property names. A generic or table-driven core
// would be shorter, but it is the metadata and indirection this reader exists to avoid; the flat shape also
// keeps each property's rule (and the serializer's exact error text) next to its name, where SpecReaderTests
// checks it against the serializer. Do not fold it into abstractions: its reason to exist is start-up speed.

using System.Text;
using System.Text.Json;

namespace Strata.Oci.Runtime;

/// <summary>
/// Reads config.json into a <see cref="Spec"/> with <see cref="Utf8JsonReader"/> directly: no JsonSerializer,
/// no reflection, no metadata to initialise. It produces what <c>JsonSerializer.Deserialize(json,
/// RuntimeJsonContext.Default.Spec)</c> produces, errors included, because a container start pays for the
/// serializer's metadata set-up (a fifth of a <c>run</c>) and reads only this one document.
/// </summary>
/// <remarks>
/// What is matched, as the serializer does with the context's options: camelCase names compared
/// case-sensitively (escaped names unescaped first); the last of duplicate properties wins; unknown properties
/// go to <c>Extensions</c> (Spec, Process, Linux) as <see cref="JsonElement"/>s, or are skipped elsewhere;
/// <c>null</c> sets a reference or nullable property to null (replacing an initialiser's default) and is an
/// error for a non-nullable value type; numbers are strict (no strings, no fractions or exponents for
/// integers, overflow is an error); comments and trailing commas are errors, as is anything after the
/// document. Errors are <see cref="JsonException"/>s with the serializer's message, Path (its $.a.b[2].c
/// style), LineNumber and BytePositionInLine, so <see cref="SpecLoader"/> formats them as before.
/// When Spec.cs gains a property, add it here too: SpecReaderTests round-trips a fully populated Spec.
/// </remarks>
internal static class SpecReader
{
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    // Type names as the serializer prints them in "The JSON value could not be converted to {type}."
    private const string Model = "Strata.Oci.Runtime.";
    private const string TString = "System.String";
    private const string TBoolean = "System.Boolean";
    private const string TInt32 = "System.Int32";
    private const string TUInt32 = "System.UInt32";
    private const string TInt64 = "System.Int64";
    private const string TUInt64 = "System.UInt64";
    private const string TUInt16 = "System.UInt16";
    private const string NullablePrefix = "System.Nullable`1[";
    private const string ListPrefix = "System.Collections.Generic.List`1[";
    private const string DictionaryPrefix = "System.Collections.Generic.Dictionary`2[System.String,";

    /// <summary>Reads a whole config.json; null only for the document <c>null</c>.</summary>
    /// <exception cref="JsonException">Malformed JSON or a value of the wrong type; Path names where.</exception>
    internal static Spec? Read(ReadOnlySpan<byte> json)
    {
        var s = new State();
        var r = new Utf8JsonReader(json, ReaderOptions);
        try
        {
            r.Read();
            var spec = ReadSpec(ref r, s);
            // Whitespace may follow the document; anything else is an error the reader reports.
            r.Read();
            return spec;
        }
        catch (JsonException e) when (e.Path is null)
        {
            if (s.ErrorMessage is { } message)
            {
                // A value of the wrong type, found by this reader: positioned just after the offending token.
                var consumed = (int)s.ErrorConsumed;
                var before = json[..consumed];
                var lineStart = before.LastIndexOf((byte)'\n') + 1;
                long line = before.Count((byte)'\n');
                long column = consumed - lineStart;
                var path = s.Path(json);
                throw new JsonException($"{message} Path: {path} | LineNumber: {line} | BytePositionInLine: {column}.", path, line, column);
            }
            else
            {
                // The reader's own error ("... LineNumber: 0 | BytePositionInLine: 5."): insert the path, as the serializer does.
                var path = s.Path(json);
                var text = e.Message;
                var at = text.LastIndexOf(" LineNumber: ", StringComparison.Ordinal);
                text = at >= 0 ? $"{text[..at]} Path: {path} |{text[at..]}" : $"{text} Path: {path}.";
                throw new JsonException(text, path, e.LineNumber, e.BytePositionInLine, e);
            }
        }
    }

    /// <summary>The JSON path being read, kept as cheap segments and rendered only for an error message.</summary>
    private sealed class State
    {
        private Segment[] _segments = new Segment[16];
        private int _count;
        private byte[] _scratch = new byte[64];

        public string? ErrorMessage;
        public long ErrorConsumed;

        private struct Segment
        {
            public SegmentKind Kind;
            public int Start;     // property name: offset of its opening quote in the document
            public int Length;    // property name: raw (escaped) length between the quotes
            public bool Escaped;
            public int Index;     // array element
            public string? Key;   // dictionary key (null before the first) or an already decoded name
        }

        private enum SegmentKind : byte { Property, Index, Key }

        private ref Segment Push()
        {
            if (_count == _segments.Length)
            {
                Array.Resize(ref _segments, _count * 2);
            }
            ref var segment = ref _segments[_count++];
            segment = default;
            return ref segment;
        }

        public void PushProperty(int start, int length, bool escaped)
        {
            ref var segment = ref Push();
            segment.Kind = SegmentKind.Property;
            segment.Start = start;
            segment.Length = length;
            segment.Escaped = escaped;
        }

        public void PushIndex() => Push().Kind = SegmentKind.Index;

        public void NextIndex() => _segments[_count - 1].Index++;

        public void PushKey() => Push().Kind = SegmentKind.Key;

        // The serializer keeps a dictionary's last key in its path until the dictionary ends.
        public void SetKey(string key) => _segments[_count - 1].Key = key;

        public void Pop() => _count--;

        public Span<byte> Scratch(int length)
        {
            if (_scratch.Length < length)
            {
                _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
            }
            return _scratch;
        }

        public string Path(ReadOnlySpan<byte> json)
        {
            var sb = new StringBuilder("$");
            for (var i = 0; i < _count; i++)
            {
                ref var segment = ref _segments[i];
                switch (segment.Kind)
                {
                    case SegmentKind.Index:
                        sb.Append('[').Append(segment.Index).Append(']');
                        break;
                    case SegmentKind.Key:
                        AppendName(sb, segment.Key);
                        break;
                    default:
                        AppendName(sb, DecodeName(json, segment));
                        break;
                }
            }
            return sb.ToString();
        }

        private static string DecodeName(ReadOnlySpan<byte> json, in Segment segment)
        {
            var raw = json.Slice(segment.Start + 1, segment.Length);
            if (segment.Escaped)
            {
                var quoted = new Utf8JsonReader(json.Slice(segment.Start, segment.Length + 2));
                try
                {
                    quoted.Read();
                    return quoted.GetString()!;
                }
                catch (InvalidOperationException)
                {
                    // Invalid UTF-8 after unescaping: fall back to the raw text.
                }
            }
            return Encoding.UTF8.GetString(raw);
        }

        private static void AppendName(StringBuilder sb, string? name)
        {
            if (name is null)
            {
                return;
            }
            if (name.AsSpan().IndexOfAny(SpecialCharacters) >= 0)
            {
                sb.Append("['").Append(name).Append("']");
            }
            else
            {
                sb.Append('.').Append(name);
            }
        }

        // The characters that make the serializer's JSON path use the ['name'] form.
        private static readonly System.Buffers.SearchValues<char> SpecialCharacters =
            System.Buffers.SearchValues.Create(".'/\"[]()\t\n\r\f\b\\ \u0085\u2028\u2029");
    }

    // ---- structure ----

    /// <summary>At a value that must be an object: false for null, an error for anything else.</summary>
    private static bool BeginObject(ref Utf8JsonReader r, State s, string type)
    {
        if (r.TokenType == JsonTokenType.StartObject)
        {
            return true;
        }
        if (r.TokenType == JsonTokenType.Null)
        {
            return false;
        }
        throw TypeError(ref r, s, type);
    }

    /// <summary>
    /// Reads the next property name of an object and moves to its value (pushing the name on the path), or
    /// returns false at the object's end. The name is unescaped and valid until the next call.
    /// </summary>
    private static bool NextProperty(ref Utf8JsonReader r, State s, out ReadOnlySpan<byte> name)
    {
        r.Read();
        if (r.TokenType == JsonTokenType.EndObject)
        {
            name = default;
            return false;
        }
        var raw = r.ValueSpan;
        if (r.ValueIsEscaped)
        {
            var buffer = s.Scratch(raw.Length);
            name = buffer[..r.CopyString(buffer)];
        }
        else
        {
            name = raw;
        }
        s.PushProperty((int)r.TokenStartIndex, raw.Length, r.ValueIsEscaped);
        r.Read();
        return true;
    }

    /// <summary>An unknown property of a type with [JsonExtensionData]: kept, the last duplicate winning.</summary>
    private static Dictionary<string, JsonElement> ReadExtension(ref Utf8JsonReader r, scoped ReadOnlySpan<byte> name, Dictionary<string, JsonElement>? extensions)
    {
        extensions ??= [];
        var key = Encoding.UTF8.GetString(name);
        extensions[key] = JsonElement.ParseValue(ref r);
        return extensions;
    }

    private delegate T? ElementReader<T>(ref Utf8JsonReader r, State s) where T : class;

    private static List<T>? ReadList<T>(ref Utf8JsonReader r, State s, string type, ElementReader<T> element) where T : class
    {
        if (!BeginArray(ref r, s, type))
        {
            return null;
        }
        var list = new List<T>();
        s.PushIndex();
        while (true)
        {
            r.Read();
            if (r.TokenType == JsonTokenType.EndArray)
            {
                break;
            }
            list.Add(element(ref r, s)!);
            s.NextIndex();
        }
        s.Pop();
        return list;
    }

    private static List<string>? ReadStringList(ref Utf8JsonReader r, State s) =>
        ReadList(ref r, s, ListPrefix + TString + "]", ReadString);

    private static List<uint>? ReadUInt32List(ref Utf8JsonReader r, State s)
    {
        if (!BeginArray(ref r, s, ListPrefix + TUInt32 + "]"))
        {
            return null;
        }
        var list = new List<uint>();
        s.PushIndex();
        while (true)
        {
            r.Read();
            if (r.TokenType == JsonTokenType.EndArray)
            {
                break;
            }
            list.Add(ReadUInt32(ref r, s));
            s.NextIndex();
        }
        s.Pop();
        return list;
    }

    private static bool BeginArray(ref Utf8JsonReader r, State s, string type)
    {
        if (r.TokenType == JsonTokenType.StartArray)
        {
            return true;
        }
        if (r.TokenType == JsonTokenType.Null)
        {
            return false;
        }
        throw TypeError(ref r, s, type);
    }

    private static Dictionary<string, T>? ReadDictionary<T>(ref Utf8JsonReader r, State s, string type, ElementReader<T> value) where T : class
    {
        if (!BeginObject(ref r, s, type))
        {
            return null;
        }
        var dictionary = new Dictionary<string, T>();
        s.PushKey();
        while (true)
        {
            r.Read();
            if (r.TokenType == JsonTokenType.EndObject)
            {
                break;
            }
            var key = GetString(ref r, s, TString);
            s.SetKey(key);
            r.Read();
            dictionary[key] = value(ref r, s)!;
        }
        s.Pop();
        return dictionary;
    }

    private static Dictionary<string, string>? ReadStringDictionary(ref Utf8JsonReader r, State s) =>
        ReadDictionary(ref r, s, DictionaryPrefix + TString + "]", ReadString);

    // ---- values ----

    private static string? ReadString(ref Utf8JsonReader r, State s) => r.TokenType switch
    {
        JsonTokenType.String => GetString(ref r, s, TString),
        JsonTokenType.Null => null,
        _ => throw TypeError(ref r, s, TString),
    };

    /// <summary>A string or property name token's text; invalid UTF-8 is a type error, as in the serializer.</summary>
    private static string GetString(ref Utf8JsonReader r, State s, string type)
    {
        try
        {
            return r.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw TypeError(ref r, s, type);
        }
    }

    private static bool ReadBool(ref Utf8JsonReader r, State s) => r.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw TypeError(ref r, s, TBoolean),
    };

    private static bool? ReadNullableBool(ref Utf8JsonReader r, State s) => r.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.Null => null,
        _ => throw TypeError(ref r, s, NullablePrefix + TBoolean + "]"),
    };

    private static int ReadInt32(ref Utf8JsonReader r, State s) =>
        r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var v) ? v : throw TypeError(ref r, s, TInt32);

    private static int? ReadNullableInt32(ref Utf8JsonReader r, State s) =>
        r.TokenType == JsonTokenType.Null ? null
        : r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var v) ? v
        : throw TypeError(ref r, s, NullablePrefix + TInt32 + "]");

    private static uint ReadUInt32(ref Utf8JsonReader r, State s) =>
        r.TokenType == JsonTokenType.Number && r.TryGetUInt32(out var v) ? v : throw TypeError(ref r, s, TUInt32);

    private static uint? ReadNullableUInt32(ref Utf8JsonReader r, State s) =>
        r.TokenType == JsonTokenType.Null ? null
        : r.TokenType == JsonTokenType.Number && r.TryGetUInt32(out var v) ? v
        : throw TypeError(ref r, s, NullablePrefix + TUInt32 + "]");

    private static long ReadInt64(ref Utf8JsonReader r, State s) =>
        r.TokenType == JsonTokenType.Number && r.TryGetInt64(out var v) ? v : throw TypeError(ref r, s, TInt64);

    private static long? ReadNullableInt64(ref Utf8JsonReader r, State s) =>
        r.TokenType == JsonTokenType.Null ? null
        : r.TokenType == JsonTokenType.Number && r.TryGetInt64(out var v) ? v
        : throw TypeError(ref r, s, NullablePrefix + TInt64 + "]");

    private static ulong ReadUInt64(ref Utf8JsonReader r, State s) =>
        r.TokenType == JsonTokenType.Number && r.TryGetUInt64(out var v) ? v : throw TypeError(ref r, s, TUInt64);

    private static ulong? ReadNullableUInt64(ref Utf8JsonReader r, State s) =>
        r.TokenType == JsonTokenType.Null ? null
        : r.TokenType == JsonTokenType.Number && r.TryGetUInt64(out var v) ? v
        : throw TypeError(ref r, s, NullablePrefix + TUInt64 + "]");

    private static ushort? ReadNullableUInt16(ref Utf8JsonReader r, State s) =>
        r.TokenType == JsonTokenType.Null ? null
        : r.TokenType == JsonTokenType.Number && r.TryGetUInt16(out var v) ? v
        : throw TypeError(ref r, s, NullablePrefix + TUInt16 + "]");

    /// <summary>The serializer's "could not be converted" error for the current token; the caller throws it.</summary>
    private static JsonException TypeError(ref Utf8JsonReader r, State s, string type)
    {
        s.ErrorMessage = $"The JSON value could not be converted to {type}.";
        s.ErrorConsumed = r.BytesConsumed;
        // Path left null: Read adds path, line and column from the state above.
        return new JsonException(s.ErrorMessage);
    }

    // ---- generated-style per-type readers: one method per class of Spec.cs, every property mapped ----
    private const string ListOfHook = ListPrefix + Model + "Hook]";
    private const string ListOfLinuxDevice = ListPrefix + Model + "LinuxDevice]";
    private const string ListOfLinuxDeviceCgroup = ListPrefix + Model + "LinuxDeviceCgroup]";
    private const string ListOfLinuxHugepageLimit = ListPrefix + Model + "LinuxHugepageLimit]";
    private const string ListOfLinuxIdMapping = ListPrefix + Model + "LinuxIdMapping]";
    private const string ListOfLinuxInterfacePriority = ListPrefix + Model + "LinuxInterfacePriority]";
    private const string ListOfLinuxNamespace = ListPrefix + Model + "LinuxNamespace]";
    private const string ListOfLinuxSeccompArg = ListPrefix + Model + "LinuxSeccompArg]";
    private const string ListOfLinuxSyscall = ListPrefix + Model + "LinuxSyscall]";
    private const string ListOfLinuxThrottleDevice = ListPrefix + Model + "LinuxThrottleDevice]";
    private const string ListOfLinuxWeightDevice = ListPrefix + Model + "LinuxWeightDevice]";
    private const string ListOfMount = ListPrefix + Model + "Mount]";
    private const string ListOfPosixRlimit = ListPrefix + Model + "PosixRlimit]";
    private const string DictionaryOfLinuxRdma = DictionaryPrefix + Model + "LinuxRdma]";
    private const string DictionaryOfLinuxTimeOffset = DictionaryPrefix + Model + "LinuxTimeOffset]";

    private static Spec? ReadSpec(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(Spec))) return null;
        var o = new Spec();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("ociVersion"u8)) o.OciVersion = ReadString(ref r, s);
            else if (name.SequenceEqual("process"u8)) o.Process = ReadProcess(ref r, s);
            else if (name.SequenceEqual("root"u8)) o.Root = ReadRoot(ref r, s);
            else if (name.SequenceEqual("hostname"u8)) o.Hostname = ReadString(ref r, s);
            else if (name.SequenceEqual("domainname"u8)) o.Domainname = ReadString(ref r, s);
            else if (name.SequenceEqual("mounts"u8)) o.Mounts = ReadList(ref r, s, ListOfMount, ReadMount);
            else if (name.SequenceEqual("hooks"u8)) o.Hooks = ReadHooks(ref r, s);
            else if (name.SequenceEqual("annotations"u8)) o.Annotations = ReadStringDictionary(ref r, s);
            else if (name.SequenceEqual("linux"u8)) o.Linux = ReadLinux(ref r, s);
            else o.Extensions = ReadExtension(ref r, name, o.Extensions);
            s.Pop();
        }
        return o;
    }

    private static Process? ReadProcess(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(Process))) return null;
        var o = new Process();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("terminal"u8)) o.Terminal = ReadBool(ref r, s);
            else if (name.SequenceEqual("consoleSize"u8)) o.ConsoleSize = ReadBox(ref r, s);
            else if (name.SequenceEqual("user"u8)) o.User = ReadUser(ref r, s)!;
            else if (name.SequenceEqual("args"u8)) o.Args = ReadStringList(ref r, s);
            else if (name.SequenceEqual("commandLine"u8)) o.CommandLine = ReadString(ref r, s);
            else if (name.SequenceEqual("env"u8)) o.Env = ReadStringList(ref r, s);
            else if (name.SequenceEqual("cwd"u8)) o.Cwd = ReadString(ref r, s)!;
            else if (name.SequenceEqual("capabilities"u8)) o.Capabilities = ReadLinuxCapabilities(ref r, s);
            else if (name.SequenceEqual("rlimits"u8)) o.Rlimits = ReadList(ref r, s, ListOfPosixRlimit, ReadPosixRlimit);
            else if (name.SequenceEqual("noNewPrivileges"u8)) o.NoNewPrivileges = ReadBool(ref r, s);
            else if (name.SequenceEqual("apparmorProfile"u8)) o.ApparmorProfile = ReadString(ref r, s);
            else if (name.SequenceEqual("oomScoreAdj"u8)) o.OomScoreAdj = ReadNullableInt32(ref r, s);
            else if (name.SequenceEqual("selinuxLabel"u8)) o.SelinuxLabel = ReadString(ref r, s);
            else if (name.SequenceEqual("ioPriority"u8)) o.IoPriority = ReadLinuxIOPriority(ref r, s);
            else if (name.SequenceEqual("scheduler"u8)) o.Scheduler = ReadLinuxScheduler(ref r, s);
            else if (name.SequenceEqual("execCPUAffinity"u8)) o.ExecCPUAffinity = ReadCpuAffinity(ref r, s);
            else o.Extensions = ReadExtension(ref r, name, o.Extensions);
            s.Pop();
        }
        return o;
    }

    private static Box? ReadBox(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(Box))) return null;
        var o = new Box();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("height"u8)) o.Height = ReadUInt32(ref r, s);
            else if (name.SequenceEqual("width"u8)) o.Width = ReadUInt32(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static User? ReadUser(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(User))) return null;
        var o = new User();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("uid"u8)) o.Uid = ReadUInt32(ref r, s);
            else if (name.SequenceEqual("gid"u8)) o.Gid = ReadUInt32(ref r, s);
            else if (name.SequenceEqual("umask"u8)) o.Umask = ReadNullableUInt32(ref r, s);
            else if (name.SequenceEqual("additionalGids"u8)) o.AdditionalGids = ReadUInt32List(ref r, s);
            else if (name.SequenceEqual("username"u8)) o.Username = ReadString(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxCapabilities? ReadLinuxCapabilities(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxCapabilities))) return null;
        var o = new LinuxCapabilities();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("bounding"u8)) o.Bounding = ReadStringList(ref r, s);
            else if (name.SequenceEqual("effective"u8)) o.Effective = ReadStringList(ref r, s);
            else if (name.SequenceEqual("inheritable"u8)) o.Inheritable = ReadStringList(ref r, s);
            else if (name.SequenceEqual("permitted"u8)) o.Permitted = ReadStringList(ref r, s);
            else if (name.SequenceEqual("ambient"u8)) o.Ambient = ReadStringList(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static PosixRlimit? ReadPosixRlimit(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(PosixRlimit))) return null;
        var o = new PosixRlimit();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("type"u8)) o.Type = ReadString(ref r, s)!;
            else if (name.SequenceEqual("hard"u8)) o.Hard = ReadUInt64(ref r, s);
            else if (name.SequenceEqual("soft"u8)) o.Soft = ReadUInt64(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxIOPriority? ReadLinuxIOPriority(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxIOPriority))) return null;
        var o = new LinuxIOPriority();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("class"u8)) o.Class = ReadString(ref r, s)!;
            else if (name.SequenceEqual("priority"u8)) o.Priority = ReadInt32(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxScheduler? ReadLinuxScheduler(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxScheduler))) return null;
        var o = new LinuxScheduler();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("policy"u8)) o.Policy = ReadString(ref r, s)!;
            else if (name.SequenceEqual("nice"u8)) o.Nice = ReadInt32(ref r, s);
            else if (name.SequenceEqual("priority"u8)) o.Priority = ReadInt32(ref r, s);
            else if (name.SequenceEqual("flags"u8)) o.Flags = ReadStringList(ref r, s);
            else if (name.SequenceEqual("runtime"u8)) o.Runtime = ReadUInt64(ref r, s);
            else if (name.SequenceEqual("deadline"u8)) o.Deadline = ReadUInt64(ref r, s);
            else if (name.SequenceEqual("period"u8)) o.Period = ReadUInt64(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static CpuAffinity? ReadCpuAffinity(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(CpuAffinity))) return null;
        var o = new CpuAffinity();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("initial"u8)) o.Initial = ReadString(ref r, s);
            else if (name.SequenceEqual("final"u8)) o.Final = ReadString(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static Root? ReadRoot(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(Root))) return null;
        var o = new Root();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("path"u8)) o.Path = ReadString(ref r, s)!;
            else if (name.SequenceEqual("readonly"u8)) o.Readonly = ReadBool(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static Mount? ReadMount(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(Mount))) return null;
        var o = new Mount();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("destination"u8)) o.Destination = ReadString(ref r, s)!;
            else if (name.SequenceEqual("type"u8)) o.Type = ReadString(ref r, s);
            else if (name.SequenceEqual("source"u8)) o.Source = ReadString(ref r, s);
            else if (name.SequenceEqual("options"u8)) o.Options = ReadStringList(ref r, s);
            else if (name.SequenceEqual("uidMappings"u8)) o.UidMappings = ReadList(ref r, s, ListOfLinuxIdMapping, ReadLinuxIdMapping);
            else if (name.SequenceEqual("gidMappings"u8)) o.GidMappings = ReadList(ref r, s, ListOfLinuxIdMapping, ReadLinuxIdMapping);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static Hooks? ReadHooks(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(Hooks))) return null;
        var o = new Hooks();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("prestart"u8)) o.Prestart = ReadList(ref r, s, ListOfHook, ReadHook);
            else if (name.SequenceEqual("createRuntime"u8)) o.CreateRuntime = ReadList(ref r, s, ListOfHook, ReadHook);
            else if (name.SequenceEqual("createContainer"u8)) o.CreateContainer = ReadList(ref r, s, ListOfHook, ReadHook);
            else if (name.SequenceEqual("startContainer"u8)) o.StartContainer = ReadList(ref r, s, ListOfHook, ReadHook);
            else if (name.SequenceEqual("poststart"u8)) o.Poststart = ReadList(ref r, s, ListOfHook, ReadHook);
            else if (name.SequenceEqual("poststop"u8)) o.Poststop = ReadList(ref r, s, ListOfHook, ReadHook);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static Hook? ReadHook(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(Hook))) return null;
        var o = new Hook();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("path"u8)) o.Path = ReadString(ref r, s)!;
            else if (name.SequenceEqual("args"u8)) o.Args = ReadStringList(ref r, s);
            else if (name.SequenceEqual("env"u8)) o.Env = ReadStringList(ref r, s);
            else if (name.SequenceEqual("timeout"u8)) o.Timeout = ReadNullableInt32(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static Linux? ReadLinux(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(Linux))) return null;
        var o = new Linux();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("uidMappings"u8)) o.UidMappings = ReadList(ref r, s, ListOfLinuxIdMapping, ReadLinuxIdMapping);
            else if (name.SequenceEqual("gidMappings"u8)) o.GidMappings = ReadList(ref r, s, ListOfLinuxIdMapping, ReadLinuxIdMapping);
            else if (name.SequenceEqual("sysctl"u8)) o.Sysctl = ReadStringDictionary(ref r, s);
            else if (name.SequenceEqual("resources"u8)) o.Resources = ReadLinuxResources(ref r, s);
            else if (name.SequenceEqual("cgroupsPath"u8)) o.CgroupsPath = ReadString(ref r, s);
            else if (name.SequenceEqual("namespaces"u8)) o.Namespaces = ReadList(ref r, s, ListOfLinuxNamespace, ReadLinuxNamespace);
            else if (name.SequenceEqual("devices"u8)) o.Devices = ReadList(ref r, s, ListOfLinuxDevice, ReadLinuxDevice);
            else if (name.SequenceEqual("seccomp"u8)) o.Seccomp = ReadLinuxSeccomp(ref r, s);
            else if (name.SequenceEqual("rootfsPropagation"u8)) o.RootfsPropagation = ReadString(ref r, s);
            else if (name.SequenceEqual("maskedPaths"u8)) o.MaskedPaths = ReadStringList(ref r, s);
            else if (name.SequenceEqual("readonlyPaths"u8)) o.ReadonlyPaths = ReadStringList(ref r, s);
            else if (name.SequenceEqual("mountLabel"u8)) o.MountLabel = ReadString(ref r, s);
            else if (name.SequenceEqual("personality"u8)) o.Personality = ReadLinuxPersonality(ref r, s);
            else if (name.SequenceEqual("timeOffsets"u8)) o.TimeOffsets = ReadDictionary(ref r, s, DictionaryOfLinuxTimeOffset, ReadLinuxTimeOffset);
            else o.Extensions = ReadExtension(ref r, name, o.Extensions);
            s.Pop();
        }
        return o;
    }

    private static LinuxIdMapping? ReadLinuxIdMapping(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxIdMapping))) return null;
        var o = new LinuxIdMapping();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("containerID"u8)) o.ContainerID = ReadUInt32(ref r, s);
            else if (name.SequenceEqual("hostID"u8)) o.HostID = ReadUInt32(ref r, s);
            else if (name.SequenceEqual("size"u8)) o.Size = ReadUInt32(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxTimeOffset? ReadLinuxTimeOffset(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxTimeOffset))) return null;
        var o = new LinuxTimeOffset();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("secs"u8)) o.Secs = ReadInt64(ref r, s);
            else if (name.SequenceEqual("nanosecs"u8)) o.Nanosecs = ReadUInt32(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxPersonality? ReadLinuxPersonality(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxPersonality))) return null;
        var o = new LinuxPersonality();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("domain"u8)) o.Domain = ReadString(ref r, s)!;
            else if (name.SequenceEqual("flags"u8)) o.Flags = ReadStringList(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxNamespace? ReadLinuxNamespace(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxNamespace))) return null;
        var o = new LinuxNamespace();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("type"u8)) o.Type = ReadString(ref r, s)!;
            else if (name.SequenceEqual("path"u8)) o.Path = ReadString(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxDevice? ReadLinuxDevice(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxDevice))) return null;
        var o = new LinuxDevice();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("path"u8)) o.Path = ReadString(ref r, s)!;
            else if (name.SequenceEqual("type"u8)) o.Type = ReadString(ref r, s)!;
            else if (name.SequenceEqual("major"u8)) o.Major = ReadInt64(ref r, s);
            else if (name.SequenceEqual("minor"u8)) o.Minor = ReadInt64(ref r, s);
            else if (name.SequenceEqual("fileMode"u8)) o.FileMode = ReadNullableUInt32(ref r, s);
            else if (name.SequenceEqual("uid"u8)) o.Uid = ReadNullableUInt32(ref r, s);
            else if (name.SequenceEqual("gid"u8)) o.Gid = ReadNullableUInt32(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxResources? ReadLinuxResources(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxResources))) return null;
        var o = new LinuxResources();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("devices"u8)) o.Devices = ReadList(ref r, s, ListOfLinuxDeviceCgroup, ReadLinuxDeviceCgroup);
            else if (name.SequenceEqual("memory"u8)) o.Memory = ReadLinuxMemory(ref r, s);
            else if (name.SequenceEqual("cpu"u8)) o.Cpu = ReadLinuxCpu(ref r, s);
            else if (name.SequenceEqual("pids"u8)) o.Pids = ReadLinuxPids(ref r, s);
            else if (name.SequenceEqual("blockIO"u8)) o.BlockIO = ReadLinuxBlockIO(ref r, s);
            else if (name.SequenceEqual("hugepageLimits"u8)) o.HugepageLimits = ReadList(ref r, s, ListOfLinuxHugepageLimit, ReadLinuxHugepageLimit);
            else if (name.SequenceEqual("network"u8)) o.Network = ReadLinuxNetwork(ref r, s);
            else if (name.SequenceEqual("rdma"u8)) o.Rdma = ReadDictionary(ref r, s, DictionaryOfLinuxRdma, ReadLinuxRdma);
            else if (name.SequenceEqual("unified"u8)) o.Unified = ReadStringDictionary(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxDeviceCgroup? ReadLinuxDeviceCgroup(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxDeviceCgroup))) return null;
        var o = new LinuxDeviceCgroup();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("allow"u8)) o.Allow = ReadBool(ref r, s);
            else if (name.SequenceEqual("type"u8)) o.Type = ReadString(ref r, s);
            else if (name.SequenceEqual("major"u8)) o.Major = ReadNullableInt64(ref r, s);
            else if (name.SequenceEqual("minor"u8)) o.Minor = ReadNullableInt64(ref r, s);
            else if (name.SequenceEqual("access"u8)) o.Access = ReadString(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxMemory? ReadLinuxMemory(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxMemory))) return null;
        var o = new LinuxMemory();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("limit"u8)) o.Limit = ReadNullableInt64(ref r, s);
            else if (name.SequenceEqual("reservation"u8)) o.Reservation = ReadNullableInt64(ref r, s);
            else if (name.SequenceEqual("swap"u8)) o.Swap = ReadNullableInt64(ref r, s);
            else if (name.SequenceEqual("kernel"u8)) o.Kernel = ReadNullableInt64(ref r, s);
            else if (name.SequenceEqual("kernelTCP"u8)) o.KernelTCP = ReadNullableInt64(ref r, s);
            else if (name.SequenceEqual("swappiness"u8)) o.Swappiness = ReadNullableUInt64(ref r, s);
            else if (name.SequenceEqual("disableOOMKiller"u8)) o.DisableOOMKiller = ReadNullableBool(ref r, s);
            else if (name.SequenceEqual("useHierarchy"u8)) o.UseHierarchy = ReadNullableBool(ref r, s);
            else if (name.SequenceEqual("checkBeforeUpdate"u8)) o.CheckBeforeUpdate = ReadNullableBool(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxCpu? ReadLinuxCpu(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxCpu))) return null;
        var o = new LinuxCpu();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("shares"u8)) o.Shares = ReadNullableUInt64(ref r, s);
            else if (name.SequenceEqual("quota"u8)) o.Quota = ReadNullableInt64(ref r, s);
            else if (name.SequenceEqual("burst"u8)) o.Burst = ReadNullableUInt64(ref r, s);
            else if (name.SequenceEqual("period"u8)) o.Period = ReadNullableUInt64(ref r, s);
            else if (name.SequenceEqual("realtimeRuntime"u8)) o.RealtimeRuntime = ReadNullableInt64(ref r, s);
            else if (name.SequenceEqual("realtimePeriod"u8)) o.RealtimePeriod = ReadNullableUInt64(ref r, s);
            else if (name.SequenceEqual("cpus"u8)) o.Cpus = ReadString(ref r, s);
            else if (name.SequenceEqual("mems"u8)) o.Mems = ReadString(ref r, s);
            else if (name.SequenceEqual("idle"u8)) o.Idle = ReadNullableInt64(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxPids? ReadLinuxPids(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxPids))) return null;
        var o = new LinuxPids();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("limit"u8)) o.Limit = ReadNullableInt64(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxBlockIO? ReadLinuxBlockIO(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxBlockIO))) return null;
        var o = new LinuxBlockIO();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("weight"u8)) o.Weight = ReadNullableUInt16(ref r, s);
            else if (name.SequenceEqual("leafWeight"u8)) o.LeafWeight = ReadNullableUInt16(ref r, s);
            else if (name.SequenceEqual("weightDevice"u8)) o.WeightDevice = ReadList(ref r, s, ListOfLinuxWeightDevice, ReadLinuxWeightDevice);
            else if (name.SequenceEqual("throttleReadBpsDevice"u8)) o.ThrottleReadBpsDevice = ReadList(ref r, s, ListOfLinuxThrottleDevice, ReadLinuxThrottleDevice);
            else if (name.SequenceEqual("throttleWriteBpsDevice"u8)) o.ThrottleWriteBpsDevice = ReadList(ref r, s, ListOfLinuxThrottleDevice, ReadLinuxThrottleDevice);
            else if (name.SequenceEqual("throttleReadIOPSDevice"u8)) o.ThrottleReadIOPSDevice = ReadList(ref r, s, ListOfLinuxThrottleDevice, ReadLinuxThrottleDevice);
            else if (name.SequenceEqual("throttleWriteIOPSDevice"u8)) o.ThrottleWriteIOPSDevice = ReadList(ref r, s, ListOfLinuxThrottleDevice, ReadLinuxThrottleDevice);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxWeightDevice? ReadLinuxWeightDevice(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxWeightDevice))) return null;
        var o = new LinuxWeightDevice();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("major"u8)) o.Major = ReadInt64(ref r, s);
            else if (name.SequenceEqual("minor"u8)) o.Minor = ReadInt64(ref r, s);
            else if (name.SequenceEqual("weight"u8)) o.Weight = ReadNullableUInt16(ref r, s);
            else if (name.SequenceEqual("leafWeight"u8)) o.LeafWeight = ReadNullableUInt16(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxThrottleDevice? ReadLinuxThrottleDevice(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxThrottleDevice))) return null;
        var o = new LinuxThrottleDevice();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("major"u8)) o.Major = ReadInt64(ref r, s);
            else if (name.SequenceEqual("minor"u8)) o.Minor = ReadInt64(ref r, s);
            else if (name.SequenceEqual("rate"u8)) o.Rate = ReadUInt64(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxHugepageLimit? ReadLinuxHugepageLimit(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxHugepageLimit))) return null;
        var o = new LinuxHugepageLimit();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("pageSize"u8)) o.PageSize = ReadString(ref r, s)!;
            else if (name.SequenceEqual("limit"u8)) o.Limit = ReadUInt64(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxNetwork? ReadLinuxNetwork(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxNetwork))) return null;
        var o = new LinuxNetwork();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("classID"u8)) o.ClassID = ReadNullableUInt32(ref r, s);
            else if (name.SequenceEqual("priorities"u8)) o.Priorities = ReadList(ref r, s, ListOfLinuxInterfacePriority, ReadLinuxInterfacePriority);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxInterfacePriority? ReadLinuxInterfacePriority(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxInterfacePriority))) return null;
        var o = new LinuxInterfacePriority();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("name"u8)) o.Name = ReadString(ref r, s)!;
            else if (name.SequenceEqual("priority"u8)) o.Priority = ReadUInt32(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxRdma? ReadLinuxRdma(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxRdma))) return null;
        var o = new LinuxRdma();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("hcaHandles"u8)) o.HcaHandles = ReadNullableUInt32(ref r, s);
            else if (name.SequenceEqual("hcaObjects"u8)) o.HcaObjects = ReadNullableUInt32(ref r, s);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxSeccomp? ReadLinuxSeccomp(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxSeccomp))) return null;
        var o = new LinuxSeccomp();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("defaultAction"u8)) o.DefaultAction = ReadString(ref r, s)!;
            else if (name.SequenceEqual("defaultErrnoRet"u8)) o.DefaultErrnoRet = ReadNullableUInt32(ref r, s);
            else if (name.SequenceEqual("architectures"u8)) o.Architectures = ReadStringList(ref r, s);
            else if (name.SequenceEqual("flags"u8)) o.Flags = ReadStringList(ref r, s);
            else if (name.SequenceEqual("listenerPath"u8)) o.ListenerPath = ReadString(ref r, s);
            else if (name.SequenceEqual("listenerMetadata"u8)) o.ListenerMetadata = ReadString(ref r, s);
            else if (name.SequenceEqual("syscalls"u8)) o.Syscalls = ReadList(ref r, s, ListOfLinuxSyscall, ReadLinuxSyscall);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxSyscall? ReadLinuxSyscall(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxSyscall))) return null;
        var o = new LinuxSyscall();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("names"u8)) o.Names = ReadStringList(ref r, s)!;
            else if (name.SequenceEqual("action"u8)) o.Action = ReadString(ref r, s)!;
            else if (name.SequenceEqual("errnoRet"u8)) o.ErrnoRet = ReadNullableUInt32(ref r, s);
            else if (name.SequenceEqual("args"u8)) o.Args = ReadList(ref r, s, ListOfLinuxSeccompArg, ReadLinuxSeccompArg);
            else r.Skip();
            s.Pop();
        }
        return o;
    }

    private static LinuxSeccompArg? ReadLinuxSeccompArg(ref Utf8JsonReader r, State s)
    {
        if (!BeginObject(ref r, s, Model + nameof(LinuxSeccompArg))) return null;
        var o = new LinuxSeccompArg();
        while (NextProperty(ref r, s, out var name))
        {
            if (name.SequenceEqual("index"u8)) o.Index = ReadUInt32(ref r, s);
            else if (name.SequenceEqual("value"u8)) o.Value = ReadUInt64(ref r, s);
            else if (name.SequenceEqual("valueTwo"u8)) o.ValueTwo = ReadUInt64(ref r, s);
            else if (name.SequenceEqual("op"u8)) o.Op = ReadString(ref r, s)!;
            else r.Skip();
            s.Pop();
        }
        return o;
    }
}
