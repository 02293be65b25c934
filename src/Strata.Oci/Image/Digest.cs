using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strata.Oci.Image;

/// <summary>
/// A content digest "algorithm:encoded" (image-spec descriptor.md, "Digests"). Only the registered
/// algorithms sha256 and sha512 are accepted, in their canonical form: lowercase hex of the exact length.
/// A digest identifies bytes, so the documents it names are kept as raw bytes and never re-serialized.
/// </summary>
[JsonConverter(typeof(DigestJsonConverter))]
public readonly struct Digest : IEquatable<Digest>
{
    public const string Sha256 = "sha256";
    public const string Sha512 = "sha512";

    private readonly string? _value;

    private Digest(string algorithm, string encoded)
    {
        Algorithm = algorithm;
        Encoded = encoded;
        _value = algorithm + ":" + encoded;
    }

    /// <summary>"sha256" or "sha512".</summary>
    public string Algorithm { get; }

    /// <summary>The lowercase hex of the hash.</summary>
    public string Encoded { get; }

    public bool IsEmpty => _value is null;

    public static Digest Parse(string value) =>
        TryParse(value, out var digest, out var error) ? digest : throw new FormatException(error);

    public static bool TryParse([NotNullWhen(true)] string? value, out Digest digest) => TryParse(value, out digest, out _);

    /// <summary>Parses a digest; <paramref name="error"/> says why a value is rejected.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out Digest digest, out string error)
    {
        digest = default;
        if (string.IsNullOrEmpty(value))
        {
            error = "digest is empty";
            return false;
        }
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            error = $"digest '{value}' is not of the form algorithm:encoded";
            return false;
        }
        var algorithm = value[..colon];
        var encoded = value[(colon + 1)..];
        var length = HexLength(algorithm);
        if (length == 0)
        {
            error = $"digest algorithm '{algorithm}' is not supported (sha256, sha512)";
            return false;
        }
        if (encoded.Length != length || !IsLowerHex(encoded))
        {
            error = $"digest '{value}' must have {length} lowercase hex characters after '{algorithm}:'";
            return false;
        }
        error = "";
        digest = new Digest(algorithm, encoded);
        return true;
    }

    /// <summary>True when the algorithm part names one this type can compute.</summary>
    public static bool IsSupportedAlgorithm(string algorithm) => HexLength(algorithm) != 0;

    public static Digest Compute(ReadOnlySpan<byte> content, string algorithm = Sha256)
    {
        Span<byte> hash = stackalloc byte[64];
        var written = algorithm switch
        {
            Sha256 => SHA256.HashData(content, hash),
            Sha512 => SHA512.HashData(content, hash),
            _ => throw new ArgumentException($"unsupported digest algorithm '{algorithm}'", nameof(algorithm)),
        };
        return FromHash(algorithm, hash[..written]);
    }

    public static async Task<Digest> ComputeAsync(Stream content, string algorithm = Sha256, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var hasher = CreateHasher(algorithm);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hasher.AppendData(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return FromHash(algorithm, hasher.GetHashAndReset());
    }

    /// <summary>An incremental hasher for <paramref name="algorithm"/>, for hashing while streaming.</summary>
    public static IncrementalHash CreateHasher(string algorithm) => algorithm switch
    {
        Sha256 => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
        Sha512 => IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
        _ => throw new ArgumentException($"unsupported digest algorithm '{algorithm}'", nameof(algorithm)),
    };

    public static Digest FromHash(string algorithm, ReadOnlySpan<byte> hash)
    {
        if (HexLength(algorithm) != hash.Length * 2)
        {
            throw new ArgumentException($"a {algorithm} hash cannot be {hash.Length} bytes long", nameof(hash));
        }
        return new Digest(algorithm, Convert.ToHexStringLower(hash));
    }

    public bool Equals(Digest other) => string.Equals(_value, other._value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is Digest other && Equals(other);

    public override int GetHashCode() => _value is null ? 0 : StringComparer.Ordinal.GetHashCode(_value);

    public override string ToString() => _value ?? "";

    public static bool operator ==(Digest left, Digest right) => left.Equals(right);

    public static bool operator !=(Digest left, Digest right) => !left.Equals(right);

    private static int HexLength(string algorithm) => algorithm switch
    {
        Sha256 => 64,
        Sha512 => 128,
        _ => 0,
    };

    private static bool IsLowerHex(string s)
    {
        foreach (var c in s)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>Reads and writes a <see cref="Digest"/> as its string form; a malformed digest is a JSON error.</summary>
public sealed class DigestJsonConverter : JsonConverter<Digest>
{
    public override Digest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("a digest must be a JSON string");
        }
        return Digest.TryParse(reader.GetString(), out var digest, out var error) ? digest : throw new JsonException(error);
    }

    public override void Write(Utf8JsonWriter writer, Digest value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}
