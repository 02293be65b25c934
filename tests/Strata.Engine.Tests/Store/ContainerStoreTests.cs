using Microsoft.Data.Sqlite;
using Strata.Engine.Containers;
using Strata.Engine.Store;
using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Engine.Tests.Store;

public sealed class ContainerStoreTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private static EngineContainer Container(string id, string name) =>
        new(id, name, "docker.io/library/busybox:latest", Digest.Compute("m"u8), "sh", DateTimeOffset.UtcNow, ContainerState.Created, null, null, null, "overlay");

    [Fact]
    public void Put_DuplicateName_NameInUse()
    {
        using var store = new ContainerStore(_temp.Path);
        var c = Container("a1", "web");
        store.Put(c);

        var e = Assert.Throws<EngineException>(() => store.Put(c with { Id = "b2" }));

        Assert.Equal(EngineErrorCode.NameInUse, e.Code);
        Assert.Equal("a1", store.Find("a")!.Id);
        Assert.Equal("a1", store.Find("web")!.Id);
    }

    [Fact]
    public void Put_SameId_UpdatesStateAndReopenedStoreSeesIt()
    {
        using (var store = new ContainerStore(_temp.Path))
        {
            var c = Container("a1", "web");
            store.Put(c);
            store.Put(c with { State = ContainerState.Exited, ExitCode = 3 });
        }

        using var reopened = new ContainerStore(_temp.Path);
        var got = Assert.Single(reopened.List());
        Assert.Equal((ContainerState.Exited, 3), (got.State, got.ExitCode));
        Assert.True(File.Exists(_temp.Combine("containers", ContainerStore.FileName)));
        Assert.True(reopened.Delete("a1"));
        Assert.Empty(reopened.List());
    }

    [Fact]
    public void Find_AmbiguousPrefix_Null()
    {
        using var store = new ContainerStore(_temp.Path);
        store.Put(Container("ab1", "one"));
        store.Put(Container("ab2", "two"));

        Assert.Null(store.Find("ab"));
        Assert.Equal("ab2", store.Find("ab2")!.Id);
        Assert.Null(store.Find("zz"));
    }

    /// <summary>
    /// A store written before the engine had its own: container rows in ROOT/strata.db's containers table.
    /// The image store leases their images when it opens; the engine's store then takes the rows and drops
    /// the table, so the next image store opens find nothing left to lease.
    /// </summary>
    [Fact]
    public void Open_LegacyRowsInImageDatabase_MovedHereAndImagesStayLeased()
    {
        var manifest = Digest.Compute("legacy manifest"u8);
        WriteLegacyImageDatabase(_temp.Combine(MetadataStore.FileName), manifest);

        using (var images = new MetadataStore(_temp.Path))
        {
            var lease = Assert.Single(images.ListLeases());
            Assert.Equal(new ImageLease("container/" + new string('c', 64), manifest, "container keeper"), lease);
        }
        using (var store = new ContainerStore(_temp.Path))
        {
            var c = Assert.Single(store.List());
            Assert.Equal(new string('c', 64), c.Id);
            Assert.Equal("keeper", c.Name);
            Assert.Equal(manifest, c.Manifest);
            Assert.Equal("sh -c exit 3", c.Command);
            Assert.Equal((ContainerState.Exited, 3, "overlay"), (c.State, c.ExitCode, c.Snapshotter));
            Assert.Equal($"container/{c.Id}", c.LeaseId);
        }
        Assert.False(LegacyTableExists(_temp.Combine(MetadataStore.FileName)));

        // Removing the container releases its lease for good: nothing re-creates it.
        using (var store = new ContainerStore(_temp.Path))
        using (var images = new MetadataStore(_temp.Path))
        {
            Assert.True(store.Delete(new string('c', 64)));
            Assert.True(images.DeleteLease("container/" + new string('c', 64)));
        }
        using (var images = new MetadataStore(_temp.Path))
        using (var store = new ContainerStore(_temp.Path))
        {
            Assert.Empty(images.ListLeases());
            Assert.Empty(store.List());
        }
    }

    [Fact]
    public void Open_MigrationInterruptedBeforeDrop_RowsNotDuplicated()
    {
        var db = _temp.Combine(MetadataStore.FileName);
        WriteLegacyImageDatabase(db, Digest.Compute("m"u8));
        using (new ContainerStore(_temp.Path))
        {
        }
        // As if the table had survived a crash after the copy.
        WriteLegacyImageDatabase(db, Digest.Compute("m"u8));

        using var store = new ContainerStore(_temp.Path);

        Assert.Single(store.List());
        Assert.False(LegacyTableExists(db));
    }

    // The schema and a row exactly as MetadataStore wrote them before the engine's store existed.
    private static void WriteLegacyImageDatabase(string path, Digest manifest)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            CREATE TABLE IF NOT EXISTS images (
                name TEXT PRIMARY KEY, target TEXT NOT NULL, target_media_type TEXT NOT NULL, manifest TEXT NOT NULL,
                config TEXT NOT NULL, size INTEGER NOT NULL, created TEXT, updated TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS containers (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                image TEXT NOT NULL,
                manifest TEXT NOT NULL,
                command TEXT NOT NULL,
                created TEXT NOT NULL,
                status TEXT NOT NULL,
                exit_code INTEGER,
                pid INTEGER,
                pid_start INTEGER,
                snapshotter TEXT NOT NULL);
            INSERT OR IGNORE INTO containers VALUES ('{new string('c', 64)}', 'keeper', 'docker.io/library/busybox:latest',
                '{manifest}', 'sh -c exit 3', '2026-01-02T03:04:05.0000000+00:00', 'Exited', 3, NULL, NULL, 'overlay');
            """;
        cmd.ExecuteNonQuery();
    }

    private static bool LegacyTableExists(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'containers'";
        return (long)cmd.ExecuteScalar()! > 0;
    }
}
