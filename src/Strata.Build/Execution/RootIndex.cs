using System.Formats.Tar;
using Strata.Images.Store;
using Strata.Images.Unpack;
using Strata.Oci.Image;

namespace Strata.Build.Execution;

/// <summary>
/// What a stage's root filesystem holds, read from its layers' tar headers (no file is unpacked): each path's
/// type and symlink target, with the image-spec's whiteouts (".wh.NAME", ".wh..wh..opq") applied layer by
/// layer. COPY asks it whether its destination is a directory and where symlinks in the destination lead
/// (merged-/usr images make /bin a symlink), so files land where BuildKit would put them.
/// </summary>
public sealed class RootIndex
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueWhiteout = ".wh..wh..opq";
    private const int MaxSymlinks = 40;

    private readonly Dictionary<string, (TarEntryType Type, string? Link)> _entries = new(StringComparer.Ordinal);

    public static RootIndex Empty => new();

    /// <summary>Reads the headers of <paramref name="layers"/>, lowest first.</summary>
    public static async Task<RootIndex> ReadAsync(ContentStore content, IEnumerable<Descriptor> layers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(layers);
        var index = new RootIndex();
        foreach (var layer in layers)
        {
            var entries = new List<(string Path, TarEntryType Type, string? Link)>();
            await using (var blob = content.OpenRead(layer.Digest))
            await using (var tar = await LayerUnpacker.DecompressAsync(blob, cancellationToken).ConfigureAwait(false))
            {
                using var reader = new TarReader(tar);
                while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    var path = Normalize(entry.Name);
                    if (path.Length > 0)
                    {
                        entries.Add((path, entry.EntryType, entry.EntryType == TarEntryType.SymbolicLink ? entry.LinkName : null));
                    }
                }
            }
            index.ApplyLayer(entries);
        }
        return index;
    }

    /// <summary>Records what a new layer of this stage adds.</summary>
    public void Apply(IEnumerable<LayerEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ApplyLayer([.. entries.Select(e => (Normalize(e.Path), e.Type, e.LinkTarget))]);
    }

    // Whiteouts hide what the layers below hold; entries of the same layer stay, so they apply first.
    private void ApplyLayer(List<(string Path, TarEntryType Type, string? Link)> entries)
    {
        foreach (var (path, _, _) in entries)
        {
            var slash = path.LastIndexOf('/');
            var parent = slash < 0 ? "" : path[..slash];
            var name = slash < 0 ? path : path[(slash + 1)..];
            if (name == OpaqueWhiteout)
            {
                RemoveBelow(parent);
            }
            else if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                var hidden = (parent.Length == 0 ? "" : parent + "/") + name[WhiteoutPrefix.Length..];
                _entries.Remove(hidden);
                RemoveBelow(hidden);
            }
        }
        foreach (var (path, type, link) in entries)
        {
            var name = path[(path.LastIndexOf('/') + 1)..];
            if (!name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                _entries[path] = (type is TarEntryType.HardLink or TarEntryType.V7RegularFile ? TarEntryType.RegularFile : type, link);
            }
        }
    }

    private void RemoveBelow(string directory)
    {
        var prefix = directory.Length == 0 ? "" : directory + "/";
        foreach (var key in _entries.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k != directory).ToList())
        {
            _entries.Remove(key);
        }
    }

    /// <summary>Whether an absolute path is a directory, symlinks followed.</summary>
    public bool IsDirectory(string path) =>
        Resolve(path) is var resolved && (resolved == "/" || (_entries.TryGetValue(resolved[1..], out var e) && e.Type == TarEntryType.Directory));

    /// <summary>
    /// An absolute path with every symlink in it followed (the last one too), inside this root: ".." and
    /// absolute targets never leave it.
    /// </summary>
    public string Resolve(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var pending = new Queue<string>(Split(path));
        var resolved = new List<string>();
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Dequeue();
            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }
                continue;
            }
            var candidate = string.Join('/', resolved.Append(part));
            if (_entries.TryGetValue(candidate, out var e) && e.Type == TarEntryType.SymbolicLink && e.Link is { } target)
            {
                if (++links > MaxSymlinks)
                {
                    throw new Context.BuildContextException($"{path}: too many levels of symbolic links");
                }
                if (target.StartsWith('/'))
                {
                    resolved.Clear();
                }
                pending = new Queue<string>(Split(target).Concat(pending));
                continue;
            }
            resolved.Add(part);
        }
        return "/" + string.Join('/', resolved);
    }

    private static IEnumerable<string> Split(string path) => path.Split('/').Where(p => p.Length > 0 && p != ".");

    private static string Normalize(string name)
    {
        var parts = Split(name).ToList();
        return string.Join('/', parts);
    }
}
