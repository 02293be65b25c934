using System.Runtime.InteropServices;

namespace Strata.Linux.Seccomp;

/// <summary>A libseccomp filter context (scmp_filter_ctx), released with seccomp_release.</summary>
internal sealed class SeccompContextHandle : SafeHandle
{
    public SeccompContextHandle() : base(nint.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        LibSeccomp.Release(handle);
        return true;
    }
}
