using System.Runtime.InteropServices;
using System.Text;

namespace Strata.Linux;

/// <summary>Null-terminated UTF-8 strings and string arrays in native memory, freed together.</summary>
internal sealed unsafe class NativeStrings : IDisposable
{
    private readonly List<nint> _allocations = [];

    public byte* Add(string s)
    {
        var bytes = Encoding.UTF8.GetByteCount(s);
        var p = (byte*)NativeMemory.Alloc((nuint)bytes + 1);
        _allocations.Add((nint)p);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, bytes));
        p[bytes] = 0;
        return p;
    }

    public byte** AddArray(IReadOnlyList<string> items)
    {
        var array = (byte**)NativeMemory.Alloc((nuint)(items.Count + 1), (nuint)sizeof(nint));
        _allocations.Add((nint)array);
        for (var i = 0; i < items.Count; i++)
            array[i] = Add(items[i]);
        array[items.Count] = null;
        return array;
    }

    public void Dispose()
    {
        foreach (var p in _allocations)
            NativeMemory.Free((void*)p);
        _allocations.Clear();
    }
}
