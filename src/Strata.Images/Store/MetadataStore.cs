using System.Globalization;
using Microsoft.Data.Sqlite;
using Strata.Oci.Image;

namespace Strata.Images.Store;

/// <summary>One name in the store and what it points at.</summary>
/// <param name="Name">Canonical reference, "docker.io/library/busybox:latest".</param>
/// <param name="Target">The digest the name resolved to: a manifest, or an index for multi-platform images.</param>
/// <param name="Manifest">The platform manifest pulled (equal to <paramref name="Target"/> for single-platform images).</param>
/// <param name="Config">The image config digest: docker's image ID.</param>
/// <param name="Size">Compressed size of config and layers.</param>
public sealed record ImageRecord(string Name, Digest Target, string TargetMediaType, Digest Manifest, Digest Config, long Size, DateTimeOffset? Created, DateTimeOffset Updated);

/// <summary>
/// Something outside the image store that uses an image, as containerd's leases: while a lease names a
/// manifest, <see cref="ImageService.Remove"/> refuses to remove the image's last name and
/// <see cref="ImageService.Prune"/> keeps its content. The engine holds one per container.
/// </summary>
/// <param name="Id">The holder's stable key, e.g. "container/ID".</param>
/// <param name="Manifest">The platform manifest in use.</param>
/// <param name="Holder">Who holds it, for messages: "container web".</param>
public sealed record ImageLease(string Id, Digest Manifest, string Holder);

/// <summary>
/// Names and leases in SQLite (ROOT/strata.db). SQLite rather than a JSON index: each change is a
/// transaction, so a crash leaves the old or the new state, and two strata processes (two pulls, a pull
/// and an rmi) serialize on the database lock instead of losing each other's writes to a read-modify-write
/// of one file. The journal is WAL with synchronous=FULL so a committed change survives power loss.
/// One connection serves every thread of a process (the daemon's requests, a pull's last step): calls
/// take turns on it, as a SqliteConnection is not safe to share otherwise.
/// </summary>
public sealed class MetadataStore : IDisposable
{
    /// <summary>The database's file name in the store's root.</summary>
    public const string FileName = "strata.db";

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

    public MetadataStore(string root)
    {
        Directory.CreateDirectory(root);
        _connection = StoreDatabase.Open(Path.Combine(root, FileName));
        Execute("""
            CREATE TABLE IF NOT EXISTS images (
                name TEXT PRIMARY KEY,
                target TEXT NOT NULL,
                target_media_type TEXT NOT NULL,
                manifest TEXT NOT NULL,
                config TEXT NOT NULL,
                size INTEGER NOT NULL,
                created TEXT,
                updated TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS leases (
                id TEXT PRIMARY KEY,
                manifest TEXT NOT NULL,
                holder TEXT NOT NULL);
            """);
        LeaseLegacyContainers();
    }

    /// <summary>
    /// Stores written before the engine had its own store kept container rows in a containers table here;
    /// the engine moves them to its store and drops the table. Until it has, each row's image stays leased,
    /// so an image prune run first cannot take a container's content. Idempotent: a lease already present
    /// is left as it is.
    /// </summary>
    private void LeaseLegacyContainers()
    {
        if (!StoreDatabase.TableExists(_connection, "containers"))
        {
            return;
        }
        Execute("""
            INSERT OR IGNORE INTO leases (id, manifest, holder)
            SELECT 'container/' || id, manifest, 'container ' || name FROM containers;
            """);
    }

    public void PutImage(ImageRecord image)
    {
        ArgumentNullException.ThrowIfNull(image);
        lock (_lock)
        {
            PutImage(image, null);
        }
    }

    /// <summary>Records several names in one transaction: all of them become visible, or none.</summary>
    public void PutImages(IEnumerable<ImageRecord> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            foreach (var image in images)
            {
                PutImage(image, transaction);
            }
            transaction.Commit();
        }
    }

    private void PutImage(ImageRecord image, SqliteTransaction? transaction)
    {
        using var cmd = _connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = """
            INSERT INTO images (name, target, target_media_type, manifest, config, size, created, updated)
            VALUES ($name, $target, $type, $manifest, $config, $size, $created, $updated)
            ON CONFLICT(name) DO UPDATE SET target=excluded.target, target_media_type=excluded.target_media_type,
                manifest=excluded.manifest, config=excluded.config, size=excluded.size, created=excluded.created, updated=excluded.updated
            """;
        cmd.Parameters.AddWithValue("$name", image.Name);
        cmd.Parameters.AddWithValue("$target", image.Target.ToString());
        cmd.Parameters.AddWithValue("$type", image.TargetMediaType);
        cmd.Parameters.AddWithValue("$manifest", image.Manifest.ToString());
        cmd.Parameters.AddWithValue("$config", image.Config.ToString());
        cmd.Parameters.AddWithValue("$size", image.Size);
        cmd.Parameters.AddWithValue("$created", (object?)image.Created?.ToString("O", CultureInfo.InvariantCulture) ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$updated", image.Updated.ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    public ImageRecord? GetImage(string name) => QueryImages("WHERE name = $p", name).FirstOrDefault();

    public IReadOnlyList<ImageRecord> ListImages() => QueryImages("ORDER BY name", null);

    public bool DeleteImage(string name)
    {
        lock (_lock)
        {
            return StoreDatabase.Execute(_connection, "DELETE FROM images WHERE name = $p", name) > 0;
        }
    }

    public void PutLease(ImageLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_lock)
        {
            PutLeaseLocked(lease);
        }
    }

    private void PutLeaseLocked(ImageLease lease)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO leases (id, manifest, holder) VALUES ($id, $manifest, $holder)
            ON CONFLICT(id) DO UPDATE SET manifest=excluded.manifest, holder=excluded.holder
            """;
        cmd.Parameters.AddWithValue("$id", lease.Id);
        cmd.Parameters.AddWithValue("$manifest", lease.Manifest.ToString());
        cmd.Parameters.AddWithValue("$holder", lease.Holder);
        cmd.ExecuteNonQuery();
    }

    public IReadOnlyList<ImageLease> ListLeases()
    {
        lock (_lock)
        {
            return StoreDatabase.Query(
                _connection,
                "SELECT id, manifest, holder FROM leases ORDER BY id",
                null,
                reader => new ImageLease(reader.GetString(0), Digest.Parse(reader.GetString(1)), reader.GetString(2)));
        }
    }

    public bool DeleteLease(string id)
    {
        lock (_lock)
        {
            return StoreDatabase.Execute(_connection, "DELETE FROM leases WHERE id = $p", id) > 0;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _connection.Dispose();
        }
    }

    private void Execute(string sql) => StoreDatabase.Execute(_connection, sql);

    private List<ImageRecord> QueryImages(string where, string? parameter)
    {
        lock (_lock)
        {
            return QueryImagesLocked(where, parameter);
        }
    }

    private List<ImageRecord> QueryImagesLocked(string where, string? parameter) => StoreDatabase.Query(
        _connection,
        "SELECT name, target, target_media_type, manifest, config, size, created, updated FROM images " + where,
        parameter,
        reader => new ImageRecord(
            reader.GetString(0),
            Digest.Parse(reader.GetString(1)),
            reader.GetString(2),
            Digest.Parse(reader.GetString(3)),
            Digest.Parse(reader.GetString(4)),
            reader.GetInt64(5),
            reader.IsDBNull(6) ? null : DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(reader.GetString(7), CultureInfo.InvariantCulture)));
}
