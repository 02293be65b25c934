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

/// <summary>Container states as strata (not the runtime) tracks them.</summary>
public enum ContainerStatus
{
    Created,
    Running,
    Exited,
}

public sealed record ContainerRecord(
    string Id,
    string Name,
    string Image,
    Digest Manifest,
    string Command,
    DateTimeOffset Created,
    ContainerStatus Status,
    int? ExitCode,
    int? Pid,
    ulong? PidStartTime,
    string Snapshotter);

/// <summary>
/// Names and containers in SQLite (ROOT/strata.db). SQLite rather than a JSON index: each change is a
/// transaction, so a crash leaves the old or the new state, and two strata processes (two pulls, a pull
/// and an rmi) serialize on the database lock instead of losing each other's writes to a read-modify-write
/// of one file. The journal is WAL with synchronous=FULL so a committed change survives power loss.
/// </summary>
public sealed class MetadataStore : IDisposable
{
    private readonly SqliteConnection _connection;

    public MetadataStore(string root)
    {
        Directory.CreateDirectory(root);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(root, "strata.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;");
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
            """);
    }

    public void PutImage(ImageRecord image)
    {
        ArgumentNullException.ThrowIfNull(image);
        PutImage(image, null);
    }

    /// <summary>Records several names in one transaction: all of them become visible, or none.</summary>
    public void PutImages(IEnumerable<ImageRecord> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var transaction = _connection.BeginTransaction();
        foreach (var image in images)
        {
            PutImage(image, transaction);
        }
        transaction.Commit();
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
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "DELETE FROM images WHERE name = $name";
        cmd.Parameters.AddWithValue("$name", name);
        return cmd.ExecuteNonQuery() > 0;
    }

    public void PutContainer(ContainerRecord c)
    {
        ArgumentNullException.ThrowIfNull(c);
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO containers (id, name, image, manifest, command, created, status, exit_code, pid, pid_start, snapshotter)
            VALUES ($id, $name, $image, $manifest, $command, $created, $status, $exit, $pid, $start, $snap)
            ON CONFLICT(id) DO UPDATE SET status=excluded.status, exit_code=excluded.exit_code, pid=excluded.pid, pid_start=excluded.pid_start
            """;
        cmd.Parameters.AddWithValue("$id", c.Id);
        cmd.Parameters.AddWithValue("$name", c.Name);
        cmd.Parameters.AddWithValue("$image", c.Image);
        cmd.Parameters.AddWithValue("$manifest", c.Manifest.ToString());
        cmd.Parameters.AddWithValue("$command", c.Command);
        cmd.Parameters.AddWithValue("$created", c.Created.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$status", c.Status.ToString());
        cmd.Parameters.AddWithValue("$exit", (object?)c.ExitCode ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$pid", (object?)c.Pid ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$start", c.PidStartTime is { } s ? (long)s : DBNull.Value);
        cmd.Parameters.AddWithValue("$snap", c.Snapshotter);
        try
        {
            cmd.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19 /* SQLITE_CONSTRAINT */)
        {
            throw new ImageException(ImageErrorCode.InUse, $"the container name '{c.Name}' is already in use", e);
        }
    }

    public IReadOnlyList<ContainerRecord> ListContainers() => QueryContainers("ORDER BY created DESC", null);

    /// <summary>Finds a container by name, full id or unique id prefix.</summary>
    public ContainerRecord? FindContainer(string nameOrId)
    {
        var byName = QueryContainers("WHERE name = $p OR id = $p", nameOrId);
        if (byName.Count > 0)
        {
            return byName[0];
        }
        var byPrefix = QueryContainers("WHERE id LIKE $p || '%'", nameOrId);
        return byPrefix.Count == 1 ? byPrefix[0] : null;
    }

    public bool DeleteContainer(string id)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "DELETE FROM containers WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return cmd.ExecuteNonQuery() > 0;
    }

    public void Dispose() => _connection.Dispose();

    private void Execute(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private List<ImageRecord> QueryImages(string where, string? parameter)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT name, target, target_media_type, manifest, config, size, created, updated FROM images " + where;
        if (parameter is not null)
        {
            cmd.Parameters.AddWithValue("$p", parameter);
        }
        using var reader = cmd.ExecuteReader();
        var list = new List<ImageRecord>();
        while (reader.Read())
        {
            list.Add(new ImageRecord(
                reader.GetString(0),
                Digest.Parse(reader.GetString(1)),
                reader.GetString(2),
                Digest.Parse(reader.GetString(3)),
                Digest.Parse(reader.GetString(4)),
                reader.GetInt64(5),
                reader.IsDBNull(6) ? null : DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture),
                DateTimeOffset.Parse(reader.GetString(7), CultureInfo.InvariantCulture)));
        }
        return list;
    }

    private List<ContainerRecord> QueryContainers(string where, string? parameter)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT id, name, image, manifest, command, created, status, exit_code, pid, pid_start, snapshotter FROM containers " + where;
        if (parameter is not null)
        {
            cmd.Parameters.AddWithValue("$p", parameter);
        }
        using var reader = cmd.ExecuteReader();
        var list = new List<ContainerRecord>();
        while (reader.Read())
        {
            list.Add(new ContainerRecord(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                Digest.Parse(reader.GetString(3)),
                reader.GetString(4),
                DateTimeOffset.Parse(reader.GetString(5), CultureInfo.InvariantCulture),
                Enum.Parse<ContainerStatus>(reader.GetString(6)),
                reader.IsDBNull(7) ? null : reader.GetInt32(7),
                reader.IsDBNull(8) ? null : reader.GetInt32(8),
                reader.IsDBNull(9) ? null : (ulong)reader.GetInt64(9),
                reader.GetString(10)));
        }
        return list;
    }
}
