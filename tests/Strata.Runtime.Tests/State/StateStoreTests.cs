using System.Text.Json;
using Strata.Oci.Runtime;
using Strata.Runtime.State;

namespace Strata.Runtime.Tests.State;

public sealed class StateStoreTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly StateStore _store;

    public StateStoreTests() => _store = new StateStore(_dir.P("root"));

    public void Dispose() => _dir.Dispose();

    private static ContainerRecord Record(string id) => new()
    {
        Id = id,
        Bundle = "/bundles/" + id,
        Rootfs = "/bundles/" + id + "/rootfs",
        InitPid = 4242,
        InitStartTime = 123456789012,
        Created = new DateTimeOffset(2025, 3, 4, 5, 6, 7, 891, TimeSpan.FromHours(2)),
        Owner = "root",
        CgroupsPath = "/machine/" + id,
        CgroupPaths = new() { ["memory"] = "/sys/fs/cgroup/memory/machine/" + id, [""] = "/sys/fs/cgroup/unified/machine/" + id },
        OwnPidNamespace = true,
        Annotations = new() { ["org.example/key"] = "value" },
    };

    private void Create(string id)
    {
        _store.Reserve(id);
        _store.Save(Record(id));
    }

    [Fact]
    public void Reserve_NewId_CreatesDirectoryUnderRoot()
    {
        var dir = _store.Reserve("c1");

        Assert.Equal(_dir.P("root/c1"), dir);
        Assert.True(Directory.Exists(dir));
        // The root did not exist: made private to the runtime's user.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir.P("root")));
        Assert.Equal(_dir.P("root/c1"), _store.DirectoryOf("c1"));
        Assert.Equal(_dir.P("root/c1/exec.fifo"), _store.FifoOf("c1"));
    }

    [Fact]
    public void Reserve_Twice_ThrowsContainerWithIdExists()
    {
        _store.Reserve("c1");

        var e = Assert.Throws<RuntimeException>(() => _store.Reserve("c1"));

        Assert.Equal("container with id exists: c1", e.Message);
    }

    [Fact]
    public void Reserve_Concurrently_ExactlyOneWins()
    {
        // The mkdir is the claim on the id: of many creates racing for one id, only one may proceed.
        for (var round = 0; round < 200; round++)
        {
            var id = "race" + round;
            var wins = 0;
            using var barrier = new Barrier(4);
            var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                barrier.SignalAndWait();
                try
                {
                    _store.Reserve(id);
                    Interlocked.Increment(ref wins);
                }
                catch (RuntimeException)
                {
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());

            Assert.Equal(1, wins);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    public void Reserve_InvalidId_ThrowsAndCreatesNothing(string id)
    {
        Assert.Throws<RuntimeException>(() => _store.Reserve(id));

        Assert.False(Directory.Exists(_dir.P("root/a")));
        Assert.Empty(Directory.Exists(_store.Root) ? Directory.EnumerateFileSystemEntries(_store.Root) : []);
    }

    [Fact]
    public void SaveLoad_RoundTrip_AllFieldsKept()
    {
        var saved = Record("c1");
        _store.Reserve("c1");
        _store.Save(saved);

        var loaded = _store.Load("c1");

        Assert.Equal(saved.Id, loaded.Id);
        Assert.Equal(saved.Bundle, loaded.Bundle);
        Assert.Equal(saved.Rootfs, loaded.Rootfs);
        Assert.Equal(saved.InitPid, loaded.InitPid);
        Assert.Equal(saved.InitStartTime, loaded.InitStartTime);
        Assert.Equal(saved.Created, loaded.Created);
        Assert.Equal(saved.Created.Offset, loaded.Created.Offset);
        Assert.Equal(saved.Owner, loaded.Owner);
        Assert.Equal(saved.CgroupsPath, loaded.CgroupsPath);
        Assert.Equal(saved.CgroupPaths, loaded.CgroupPaths);
        Assert.True(loaded.OwnPidNamespace);
        Assert.Equal("value", loaded.Annotations!["org.example/key"]);
    }

    [Fact]
    public void Save_Json_CamelCaseFieldNames()
    {
        Create("c1");

        using var doc = JsonDocument.Parse(File.ReadAllText(_dir.P("root/c1/state.json")));

        Assert.Equal(4242, doc.RootElement.GetProperty("initPid").GetInt32());
        Assert.Equal("c1", doc.RootElement.GetProperty("id").GetString());
        Assert.True(doc.RootElement.GetProperty("ownPidNamespace").GetBoolean());
    }

    [Fact]
    public void Save_Twice_OverwritesAndLeavesOnlyStateFile()
    {
        Create("c1");
        var second = Record("c1");
        second.InitPid = 7;

        _store.Save(second);

        Assert.Equal(7, _store.Load("c1").InitPid);
        Assert.Equal(["state.json"], Directory.EnumerateFileSystemEntries(_dir.P("root/c1")).Select(Path.GetFileName));
    }

    [Fact]
    public void Exists_OnlyAfterSave()
    {
        Assert.False(_store.Exists("c1"));
        _store.Reserve("c1");
        Assert.False(_store.Exists("c1"));
        _store.Save(Record("c1"));
        Assert.True(_store.Exists("c1"));
    }

    [Fact]
    public void ListIds_SavedContainers_OrdinalOrderReservedOnlyExcluded()
    {
        Create("b");
        Create("a");
        Create("B");
        Create("a-10");
        Create("a-9");
        _store.Reserve("reserved-only");
        File.WriteAllText(_dir.P("root/stray-file"), "");

        Assert.Equal(["B", "a", "a-10", "a-9", "b"], _store.ListIds());
    }

    [Fact]
    public void ListIds_RootMissing_Empty()
    {
        Assert.Empty(new StateStore(_dir.P("nowhere")).ListIds());
    }

    [Fact]
    public void Remove_Existing_DeletesDirectoryAndListing()
    {
        Create("c1");
        Create("c2");
        File.WriteAllText(_store.FifoOf("c1"), "");

        _store.Remove("c1");

        Assert.False(Directory.Exists(_dir.P("root/c1")));
        Assert.Null(_store.TryLoad("c1"));
        Assert.Equal(["c2"], _store.ListIds());
        _store.Reserve("c1");
    }

    [Fact]
    public void Remove_UnknownFilesAndDirectories_RemovedToo()
    {
        Create("c1");
        File.WriteAllText(Path.Combine(_store.DirectoryOf("c1"), StateStore.ConfigCopy), "{}");
        File.WriteAllText(Path.Combine(_store.DirectoryOf("c1"), ".state.json.tmp"), "");
        Directory.CreateDirectory(Path.Combine(_store.DirectoryOf("c1"), "exec.fifo", "odd"));

        _store.Remove("c1");

        Assert.False(Directory.Exists(_dir.P("root/c1")));
    }

    [Fact]
    public void Remove_Missing_NoError()
    {
        _store.Remove("never");

        Assert.False(Directory.Exists(_dir.P("root/never")));
    }

    [Fact]
    public void TryLoad_Missing_Null()
    {
        Assert.Null(_store.TryLoad("nope"));
        _store.Reserve("nope");
        Assert.Null(_store.TryLoad("nope"));
    }

    [Fact]
    public void Load_Missing_ThrowsDoesNotExist()
    {
        var e = Assert.Throws<RuntimeException>(() => _store.Load("nope"));

        Assert.Equal("container does not exist", e.Message);
    }

    [Fact]
    public void TryLoad_InvalidId_Throws()
    {
        Assert.Throws<RuntimeException>(() => _store.TryLoad("../etc"));
    }

    [Fact]
    public void TryLoad_CorruptStateFile_ThrowsNamingFile()
    {
        _store.Reserve("c1");
        var path = _dir.P("root/c1/state.json");
        File.WriteAllText(path, "{\"id\": \"c1\", \"initPid\": ");

        var e = Assert.Throws<RuntimeException>(() => _store.TryLoad("c1"));

        Assert.StartsWith($"corrupt state file {path}", e.Message);
        Assert.IsAssignableFrom<JsonException>(e.InnerException);
    }
}

public class ContainerIdTests
{
    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("/abs")]
    [InlineData("a:b")]
    [InlineData("abc\n")]
    [InlineData("caf\u00e9")]
    public void Validate_Invalid_Throws(string id)
    {
        Assert.Throws<RuntimeException>(() => ContainerId.Validate(id));
    }

    [Fact]
    public void Validate_Empty_MessageSaysEmpty()
    {
        Assert.Equal("container id cannot be empty", Assert.Throws<RuntimeException>(() => ContainerId.Validate("")).Message);
    }

    [Fact]
    public void Validate_BadCharacter_MessageNamesId()
    {
        Assert.Equal("invalid container id format: a b", Assert.Throws<RuntimeException>(() => ContainerId.Validate("a b")).Message);
    }

    [Fact]
    public void Validate_TooLong_Throws()
    {
        Assert.Throws<RuntimeException>(() => ContainerId.Validate(new string('a', 1025)));
        Assert.Null(Record.Exception(() => ContainerId.Validate(new string('a', 1024))));
    }

    [Theory]
    [InlineData("abc-1.2_x+y")]
    [InlineData("a")]
    [InlineData("...")]
    [InlineData("UPPER_lower-09")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Validate_Valid_NoThrow(string id)
    {
        Assert.Null(Record.Exception(() => ContainerId.Validate(id)));
    }
}
