using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Strata.Engine.Containers;
using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Engine.Store;

/// <summary>
/// The engine's containers in SQLite, ROOT/containers/containers.db, beside their directories
/// (ROOT/containers/ID). SQLite for the reasons the image store uses it (<see cref="MetadataStore"/>): each
/// change is a transaction, two strata processes serialize on the database lock, and the name's
/// uniqueness is a constraint, so two runs cannot both claim one name. WAL with synchronous=FULL.
/// </summary>
public sealed class ContainerStore : IDisposable
{
    public const string FileName = "containers.db";

    private const string Columns = "id, name, image, manifest, command, created, status, exit_code, pid, pid_start, snapshotter, details";

    private readonly SqliteConnection _connection;
    // One connection, used from the daemon's request and monitor threads.
    private readonly Lock _lock = new();

    /// <param name="root">The store's root (strata's --root), shared with the image store.</param>
    public ContainerStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Location = Path.Combine(root, "containers");
        Directory.CreateDirectory(Location);
        _connection = StoreDatabase.Open(Path.Combine(Location, FileName));
        Execute("""
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
                snapshotter TEXT NOT NULL,
                details TEXT);
            """);
        // Stores from before the daemon: the create request's config and docker's state fields, as JSON.
        if (StoreDatabase.Query(_connection, "SELECT name FROM pragma_table_info('containers') WHERE name = $p", "details", r => r.GetString(0)).Count == 0)
        {
            Execute("ALTER TABLE containers ADD COLUMN details TEXT");
        }
        MigrateFromImageStore(Path.Combine(root, MetadataStore.FileName));
    }

    /// <summary>ROOT/containers: the database and one directory per container.</summary>
    public string Location { get; }

    /// <summary>Adds a container or records its new state; a name another container has is <see cref="EngineErrorCode.NameInUse"/>.</summary>
    public void Put(EngineContainer c)
    {
        ArgumentNullException.ThrowIfNull(c);
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = $"""
            INSERT INTO containers ({Columns})
            VALUES ($id, $name, $image, $manifest, $command, $created, $status, $exit, $pid, $start, $snap, $details)
            ON CONFLICT(id) DO UPDATE SET name=excluded.name, status=excluded.status, exit_code=excluded.exit_code, pid=excluded.pid,
                pid_start=excluded.pid_start, details=excluded.details
            """;
        Bind(cmd, c);
        try
        {
            lock (_lock)
            {
                cmd.ExecuteNonQuery();
            }
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19 /* SQLITE_CONSTRAINT */)
        {
            throw new EngineException(EngineErrorCode.NameInUse, $"the container name '{c.Name}' is already in use", e);
        }
    }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<EngineContainer> List()
    {
        lock (_lock)
        {
            return Query(_connection, "ORDER BY created DESC", null);
        }
    }

    /// <summary>By full id only.</summary>
    public EngineContainer? Get(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        lock (_lock)
        {
            return Query(_connection, "WHERE id = $p", id).FirstOrDefault();
        }
    }

    /// <summary>Finds a container by name, full id or unique id prefix.</summary>
    public EngineContainer? Find(string nameOrId)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrId);
        lock (_lock)
        {
            var exact = Query(_connection, "WHERE name = $p OR id = $p", nameOrId);
            if (exact.Count > 0)
            {
                return exact[0];
            }
            // A prefix of hex digits only: LIKE's wildcards must not match.
            if (!nameOrId.All(char.IsAsciiHexDigitLower))
            {
                return null;
            }
            var byPrefix = Query(_connection, "WHERE id LIKE $p || '%'", nameOrId);
            return byPrefix.Count == 1 ? byPrefix[0] : null;
        }
    }

    /// <summary>Whether a name or id prefix names more than one container (docker's "multiple IDs found" error).</summary>
    public bool IsAmbiguous(string prefix)
    {
        lock (_lock)
        {
            return prefix.All(char.IsAsciiHexDigitLower) && Query(_connection, "WHERE id LIKE $p || '%'", prefix).Count > 1;
        }
    }

    public bool Delete(string id)
    {
        lock (_lock)
        {
            return StoreDatabase.Execute(_connection, "DELETE FROM containers WHERE id = $p", id) > 0;
        }
    }

    public void Dispose() => _connection.Dispose();

    /// <summary>
    /// Stores written before the engine had this store kept container rows in the image database's
    /// containers table (same columns). They are copied here, then the table is dropped: a crash between
    /// the two copies them again, which changes nothing. The image store leases each row's image when it
    /// opens (<see cref="MetadataStore"/>) before the engine gets here, so the rows' images stay protected.
    /// </summary>
    private void MigrateFromImageStore(string imageDatabase)
    {
        if (!File.Exists(imageDatabase))
        {
            return;
        }
        using var images = StoreDatabase.Open(imageDatabase);
        if (!StoreDatabase.TableExists(images, "containers"))
        {
            return;
        }
        var legacy = StoreDatabase.Query(images, "SELECT id, name, image, manifest, command, created, status, exit_code, pid, pid_start, snapshotter, NULL FROM containers", null, Read);
        using (var transaction = _connection.BeginTransaction())
        {
            foreach (var c in legacy)
            {
                using var cmd = _connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = $"INSERT OR IGNORE INTO containers ({Columns}) VALUES ($id, $name, $image, $manifest, $command, $created, $status, $exit, $pid, $start, $snap, $details)";
                Bind(cmd, c);
                cmd.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        StoreDatabase.Execute(images, "DROP TABLE IF EXISTS containers");
    }

    private static void Bind(SqliteCommand cmd, EngineContainer c)
    {
        cmd.Parameters.AddWithValue("$id", c.Id);
        cmd.Parameters.AddWithValue("$name", c.Name);
        cmd.Parameters.AddWithValue("$image", c.Image);
        cmd.Parameters.AddWithValue("$manifest", c.Manifest.ToString());
        cmd.Parameters.AddWithValue("$command", c.Command);
        cmd.Parameters.AddWithValue("$created", c.Created.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$status", c.State.ToString());
        cmd.Parameters.AddWithValue("$exit", (object?)c.ExitCode ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$pid", (object?)c.Pid ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$start", c.PidStartTime is { } s ? (long)s : DBNull.Value);
        cmd.Parameters.AddWithValue("$snap", c.Snapshotter);
        cmd.Parameters.AddWithValue("$details", JsonSerializer.Serialize(c.Details, EngineJson.Default.ContainerDetails));
    }

    private void Execute(string sql) => StoreDatabase.Execute(_connection, sql);

    private static List<EngineContainer> Query(SqliteConnection connection, string where, string? parameter) =>
        StoreDatabase.Query(connection, $"SELECT {Columns} FROM containers {where}", parameter, Read);

    private static EngineContainer Read(SqliteDataReader reader) => new EngineContainer(
            reader.GetString(0),
            reader.GetString(1),
            reader.GetString(2),
            Digest.Parse(reader.GetString(3)),
            reader.GetString(4),
            DateTimeOffset.Parse(reader.GetString(5), CultureInfo.InvariantCulture),
            Enum.Parse<ContainerState>(reader.GetString(6)),
            reader.IsDBNull(7) ? null : reader.GetInt32(7),
            reader.IsDBNull(8) ? null : reader.GetInt32(8),
            reader.IsDBNull(9) ? null : (ulong)reader.GetInt64(9),
            reader.GetString(10))
        {
            Details = reader.IsDBNull(11) ? new ContainerDetails() : JsonSerializer.Deserialize(reader.GetString(11), EngineJson.Default.ContainerDetails) ?? new ContainerDetails(),
        };
}
