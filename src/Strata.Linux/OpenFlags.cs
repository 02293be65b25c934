namespace Strata.Linux;

[Flags]
public enum OpenFlags
{
    ReadOnly = 0,
    WriteOnly = 1,
    ReadWrite = 2,
    Create = 0x40,
    Exclusive = 0x80,
    Truncate = 0x200,
    Directory = 0x10000,
    NoFollow = 0x20000,
    Path = 0x200000,
}
