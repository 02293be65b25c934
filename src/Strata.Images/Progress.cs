using Strata.Oci.Image;

namespace Strata.Images;

/// <summary>What a pull or push reports per blob, for a progress display.</summary>
public enum BlobState
{
    Waiting,
    AlreadyExists,
    Transferring,
    Done,
    Mounted,
    Failed,
}

/// <summary>Receives per-blob progress of a pull or push; calls may come from several threads.</summary>
public interface ITransferProgress
{
    void Report(Digest blob, long size, BlobState state, long bytesDone);

    /// <summary>The platform manifest is known, before any blob moves: what a display lists first.</summary>
    void Resolved(Digest manifestDigest, Manifest manifest)
    {
    }
}
