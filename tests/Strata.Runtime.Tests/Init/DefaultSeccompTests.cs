using Strata.Oci.Runtime;
using Strata.Runtime.Init;

namespace Strata.Runtime.Tests.Init;

/// <summary>The default profile (Strata.Oci's DefaultSeccompTests test its contents) as the runtime loads it.</summary>
public sealed class DefaultSeccompTests
{
    [Fact]
    public void Profile_EngineDefaults_CompilesWithLibseccomp()
    {
        var profile = DefaultSeccomp.Profile;

        using var filter = SeccompFilter.Compile(profile);

        Assert.Equal("SCMP_ACT_ERRNO", profile.DefaultAction);
        Assert.Equal(38U, profile.DefaultErrnoRet); // ENOSYS: unknown calls look like an older kernel
    }
}
