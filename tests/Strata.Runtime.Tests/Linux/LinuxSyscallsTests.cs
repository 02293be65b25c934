using Strata.Linux;

namespace Strata.Runtime.Tests.Linux;

public class LinuxSyscallsTests
{
    [Theory]
    [InlineData(1, 3, 0x103UL)]
    [InlineData(5, 0, 0x500UL)]
    [InlineData(136, 255, 0x88ffUL)]
    // Above 8 bits of minor and 12 bits of major, glibc's gnu_dev_makedev spreads the bits:
    // ((major & 0xfffff000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffffff00) << 12) | (minor & 0xff).
    [InlineData(259, 1, 0x10301UL)]
    [InlineData(8, 256, 0x100800UL)]
    [InlineData(4096, 0, 0x1000_0000_0000UL)]
    [InlineData(0xfff, 0xfffff, 0xffff_ffffUL)]
    public void MakeDev_MajorMinor_GlibcEncoding(long major, long minor, ulong expected)
    {
        Assert.Equal(expected, LinuxSyscalls.MakeDev(major, minor));
    }
}
