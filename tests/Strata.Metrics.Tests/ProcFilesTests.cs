using Strata.Metrics.Collectors;

namespace Strata.Metrics.Tests;

public class ProcFilesTests
{
    [Fact]
    public void TryParseStat_CommWithSpacesAndParens_ReadsStateParentThreadsStart()
    {
        string stat = "1234 (a b) c)) D 1 1234 1234 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 3 0 98765 1000 10 18446744073709551615";
        var s = ProcFiles.TryParseStat(stat)!.Value;
        Assert.Equal('D', s.State);
        Assert.Equal(1, s.ParentPid);
        Assert.Equal(3, s.Threads);
        Assert.Equal(98765UL, s.StartTime);
        Assert.Null(ProcFiles.TryParseStat(null));
        Assert.Null(ProcFiles.TryParseStat("garbage"));
    }

    [Fact]
    public void TryParseIo_KernelText_ReadsEveryField()
    {
        var io = ProcFiles.TryParseIo("rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 5\nwrite_bytes: 6\ncancelled_write_bytes: 7\n");
        Assert.Equal(new ProcessIo(1, 2, 3, 4, 5, 6, 7), io);
    }

    [Fact]
    public void ParseNetDev_KernelText_ReadsEachInterface()
    {
        const string text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:  1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
              eth0: 123456    789    1    2    0     0          0         0    65432     321    3    4    0     0       0          0
            """;
        var all = ProcFiles.ParseNetDev(text);
        Assert.Equal(2, all.Count);
        Assert.Equal(new InterfaceCounters("eth0", 123456, 789, 1, 2, 65432, 321, 3, 4), all[1]);
    }

    [Fact]
    public void HostCollector_ThisMachine_ReadsCpuMemoryLoadAndNetwork()
    {
        HostSample h = HostCollector.Collect();
        Assert.Equal(Environment.ProcessorCount, h.Cpus);
        Assert.True(h.CpuSeconds["idle"] > 0);
        Assert.True(h.Memory["MemTotal"] > 0);
        Assert.NotEmpty(h.Networks);
    }

    [Fact]
    public void DiskUsage_Directories_CountsBytesAndInodes()
    {
        string dir = Directory.CreateTempSubdirectory("strata-disk-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "sub"));
            File.WriteAllBytes(Path.Combine(dir, "a"), new byte[1000]);
            File.WriteAllBytes(Path.Combine(dir, "sub", "b"), new byte[24]);
            DiskUsage d = DiskUsage.Measure([dir, Path.Combine(dir, "missing")]);
            Assert.Equal(1024UL, d.UsedBytes);
            Assert.Equal(3UL, d.UsedInodes);
            Assert.True(d.FilesystemBytes > d.FilesystemFreeBytes);
            Assert.True(d.FilesystemInodes > d.FilesystemFreeInodes);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void DiskUsage_DirectoriesOnTwoFilesystems_OneFigurePerDeviceNamedByMountInfo()
    {
        string dir = Directory.CreateTempSubdirectory("strata-disk-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "upper"));
            Directory.CreateDirectory(Path.Combine(dir, "vol a"));
            Directory.CreateDirectory(Path.Combine(dir, "vol b"));
            File.WriteAllBytes(Path.Combine(dir, "upper", "f"), new byte[100]);
            File.WriteAllBytes(Path.Combine(dir, "vol a", "g"), new byte[10]);
            File.WriteAllBytes(Path.Combine(dir, "vol b", "h"), new byte[1]);
            // The root on one disk, "vol a" a mount of another (spaces escaped as the kernel writes them), "vol b" on the first.
            string escaped = dir.Replace(" ", "\\040", StringComparison.Ordinal);
            string mountInfo = $"""
                22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
                40 22 0:35 / {escaped}/vol\040a rw,relatime shared:20 - xfs /dev/vdb rw
                """;

            IReadOnlyList<DiskUsage> disks = DiskUsage.MeasureByFilesystem(
                [Path.Combine(dir, "upper"), Path.Combine(dir, "vol a"), Path.Combine(dir, "vol b"), Path.Combine(dir, "gone")], mountInfo);

            Assert.Equal(2, disks.Count);
            Assert.Equal("/dev/vda1", disks[0].Device);
            Assert.Equal(101UL, disks[0].UsedBytes);
            Assert.Equal(2UL, disks[0].UsedInodes);
            Assert.Equal("/dev/vdb", disks[1].Device);
            Assert.Equal(10UL, disks[1].UsedBytes);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
