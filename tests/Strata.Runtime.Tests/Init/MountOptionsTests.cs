using Strata.Linux;
using Strata.Runtime.Init;

namespace Strata.Runtime.Tests.Init;

public class MountOptionsTests
{
    [Theory]
    [InlineData("ro", MountFlags.ReadOnly)]
    [InlineData("nosuid", MountFlags.NoSuid)]
    [InlineData("nodev", MountFlags.NoDev)]
    [InlineData("noexec", MountFlags.NoExec)]
    [InlineData("relatime", MountFlags.RelAtime)]
    [InlineData("strictatime", MountFlags.StrictAtime)]
    [InlineData("noatime", MountFlags.NoAtime)]
    [InlineData("sync", MountFlags.Synchronous)]
    [InlineData("remount", MountFlags.Remount)]
    [InlineData("bind", MountFlags.Bind)]
    [InlineData("rbind", MountFlags.Bind | MountFlags.Recursive)]
    [InlineData("defaults", MountFlags.None)]
    public void Parse_SingleFlagOption_SetsThatFlagOnly(string option, MountFlags expected)
    {
        var parsed = MountOptions.Parse([option]);

        Assert.Equal(expected, parsed.Flags);
        Assert.Empty(parsed.Propagation);
        Assert.Equal("", parsed.Data);
    }

    [Theory]
    [InlineData("ro", "rw", MountFlags.ReadOnly)]
    [InlineData("nosuid", "suid", MountFlags.NoSuid)]
    [InlineData("nodev", "dev", MountFlags.NoDev)]
    [InlineData("noexec", "exec", MountFlags.NoExec)]
    [InlineData("noatime", "atime", MountFlags.NoAtime)]
    [InlineData("strictatime", "nostrictatime", MountFlags.StrictAtime)]
    [InlineData("sync", "async", MountFlags.Synchronous)]
    public void Parse_ClearingOptionAfterSetting_ClearsFlagKeepsOthers(string set, string clear, MountFlags flag)
    {
        var parsed = MountOptions.Parse(["nosymfollow", set, clear]);

        Assert.False(parsed.Flags.HasFlag(flag));
        Assert.Equal(MountFlags.NoSymFollow, parsed.Flags);
    }

    [Fact]
    public void Parse_ClearingOptionBeforeSetting_LastOneWins()
    {
        var parsed = MountOptions.Parse(["rw", "ro"]);

        Assert.Equal(MountFlags.ReadOnly, parsed.Flags);
    }

    [Fact]
    public void Parse_SeveralFlags_CombinesThem()
    {
        var parsed = MountOptions.Parse(["nosuid", "noexec", "nodev", "relatime", "ro"]);

        Assert.Equal(MountFlags.NoSuid | MountFlags.NoExec | MountFlags.NoDev | MountFlags.RelAtime | MountFlags.ReadOnly, parsed.Flags);
    }

    [Theory]
    [InlineData("private", MountFlags.Private)]
    [InlineData("rprivate", MountFlags.Private | MountFlags.Recursive)]
    [InlineData("slave", MountFlags.Slave)]
    [InlineData("rslave", MountFlags.Slave | MountFlags.Recursive)]
    [InlineData("shared", MountFlags.Shared)]
    [InlineData("rshared", MountFlags.Shared | MountFlags.Recursive)]
    [InlineData("unbindable", MountFlags.Unbindable)]
    [InlineData("runbindable", MountFlags.Unbindable | MountFlags.Recursive)]
    public void Parse_PropagationOption_GoesToPropagationListNotFlags(string option, MountFlags expected)
    {
        var parsed = MountOptions.Parse(["bind", option]);

        Assert.Equal([expected], parsed.Propagation);
        Assert.Equal(MountFlags.Bind, parsed.Flags);
        Assert.Equal("", parsed.Data);
    }

    [Fact]
    public void Parse_SeveralPropagationOptions_KeptInOrder()
    {
        var parsed = MountOptions.Parse(["rshared", "private", "unbindable"]);

        Assert.Equal([MountFlags.Shared | MountFlags.Recursive, MountFlags.Private, MountFlags.Unbindable], parsed.Propagation);
    }

    [Fact]
    public void Parse_FilesystemOptions_JoinedWithCommaAsData()
    {
        var parsed = MountOptions.Parse(["nosuid", "mode=755", "strictatime", "size=65536k"]);

        Assert.Equal(MountFlags.NoSuid | MountFlags.StrictAtime, parsed.Flags);
        Assert.Equal("mode=755,size=65536k", parsed.Data);
    }

    [Fact]
    public void Parse_UserspaceOnlyOptions_Dropped()
    {
        var parsed = MountOptions.Parse(["x-systemd.automount", "X-mount.mkdir", "tmpcopyup", "mode=700"]);

        Assert.Equal(MountFlags.None, parsed.Flags);
        Assert.Empty(parsed.Propagation);
        Assert.Equal("mode=700", parsed.Data);
    }

    [Fact]
    public void Parse_Null_NoFlagsNoData()
    {
        var parsed = MountOptions.Parse(null);

        Assert.Equal(MountFlags.None, parsed.Flags);
        Assert.Empty(parsed.Propagation);
        Assert.Equal("", parsed.Data);
        Assert.False(parsed.IsBind);
    }

    [Fact]
    public void Parse_OptionNamesAreCaseSensitive_UppercaseIsData()
    {
        var parsed = MountOptions.Parse(["RO"]);

        Assert.Equal(MountFlags.None, parsed.Flags);
        Assert.Equal("RO", parsed.Data);
    }

    [Theory]
    [InlineData("bind", true)]
    [InlineData("rbind", true)]
    [InlineData("ro", false)]
    public void IsBind_BindOrRbind_True(string option, bool expected)
    {
        Assert.Equal(expected, MountOptions.Parse([option]).IsBind);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void RootPropagation_Unset_RecursiveSlave(string? name)
    {
        Assert.Equal(MountFlags.Slave | MountFlags.Recursive, MountOptions.RootPropagation(name));
    }

    [Theory]
    [InlineData("rprivate", MountFlags.Private | MountFlags.Recursive)]
    [InlineData("shared", MountFlags.Shared)]
    [InlineData("slave", MountFlags.Slave)]
    public void RootPropagation_Named_ThatPropagation(string name, MountFlags expected)
    {
        Assert.Equal(expected, MountOptions.RootPropagation(name));
    }
}
