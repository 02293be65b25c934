namespace Strata.Engine.ContainerIo;

/// <summary>
/// docker's detach keys ("ctrl-p,ctrl-q" by default; moby's term.ToBytes): in an attached stdin, the sequence
/// ends the attach and leaves the container running. Bytes that start the sequence are held back until it is
/// clear whether they complete it (term.EscapeProxy).
/// </summary>
public sealed class DetachKeys
{
    public const string Default = "ctrl-p,ctrl-q";

    private readonly byte[] _keys;
    private int _matched;

    private DetachKeys(byte[] keys) => _keys = keys;

    /// <summary>"ctrl-a".."ctrl-z", "ctrl-@", "ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_" or a single character, comma-separated.</summary>
    public static bool TryParse(string? text, out DetachKeys keys, out string error)
    {
        keys = null!;
        error = "";
        var spec = string.IsNullOrEmpty(text) ? Default : text;
        var bytes = new List<byte>();
        foreach (var raw in spec.Split(','))
        {
            var key = raw.Trim();
            if (key.Length == 1)
            {
                bytes.Add((byte)key[0]);
                continue;
            }
            if (key.Length == 6 && key.StartsWith("ctrl-", StringComparison.OrdinalIgnoreCase))
            {
                var c = char.ToLowerInvariant(key[5]);
                if (c is >= 'a' and <= 'z')
                {
                    bytes.Add((byte)(c - 'a' + 1));
                    continue;
                }
                var index = "@[\\]^_".IndexOf(c, StringComparison.Ordinal);
                if (index >= 0)
                {
                    bytes.Add((byte)(index == 0 ? 0 : 26 + index));
                    continue;
                }
            }
            error = $"Invalid detach keys ({spec}) provided";
            return false;
        }
        keys = new DetachKeys([.. bytes]);
        return true;
    }

    /// <summary>Filters one chunk of stdin: what may be passed on, and whether the sequence was completed.</summary>
    public (byte[] Pass, bool Detach) Filter(ReadOnlySpan<byte> input)
    {
        var pass = new List<byte>(input.Length);
        foreach (var b in input)
        {
            if (b == _keys[_matched])
            {
                _matched++;
                if (_matched == _keys.Length)
                {
                    _matched = 0;
                    return ([.. pass], true);
                }
                continue;
            }
            // A false start: the held bytes were input after all.
            pass.AddRange(_keys.AsSpan(0, _matched));
            _matched = 0;
            if (b == _keys[0])
                _matched = 1;
            else
                pass.Add(b);
        }
        return ([.. pass], false);
    }
}
