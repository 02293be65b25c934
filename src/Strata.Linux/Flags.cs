namespace Strata.Linux;

/// <summary>mount(2) flags (MS_*), named in the domain's words.</summary>
[Flags]
public enum MountFlags : ulong
{
    None = 0,
    ReadOnly = 1,
    NoSuid = 2,
    NoDev = 4,
    NoExec = 8,
    Synchronous = 16,
    Remount = 32,
    MandatoryLock = 64,
    DirSync = 128,
    NoSymFollow = 256,
    NoAtime = 1024,
    NoDirAtime = 2048,
    Bind = 4096,
    Move = 8192,
    Recursive = 16384,
    Silent = 32768,
    Unbindable = 1 << 17,
    Private = 1 << 18,
    Slave = 1 << 19,
    Shared = 1 << 20,
    RelAtime = 1 << 21,
    StrictAtime = 1 << 24,
    LazyTime = 1 << 25,

    PropagationMask = Unbindable | Private | Slave | Shared,
}

/// <summary>clone(2)/unshare(2) namespace flags (CLONE_NEW*).</summary>
[Flags]
public enum NamespaceFlags
{
    None = 0,
    Time = 0x80,
    Mount = 0x20000,
    Cgroup = 0x02000000,
    Uts = 0x04000000,
    Ipc = 0x08000000,
    User = 0x10000000,
    Pid = 0x20000000,
    Network = 0x40000000,
}
