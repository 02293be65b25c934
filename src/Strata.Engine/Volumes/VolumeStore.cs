using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Strata.Images.Store;

namespace Strata.Engine.Volumes;

/// <summary>
/// The volumes' records in SQLite, ROOT/volumes/volumes.db, beside their directories (ROOT/volumes/NAME):
/// each volume, which containers reference it, and each container's mount points. A reference is a row,
/// so "in use" is a query and a remove cannot race a container taking the volume (one transaction).
/// </summary>
internal sealed class VolumeStore : IDisposable
{
    public const string FileName = "volumes.db";

    private readonly SqliteConnection _connection;

    public VolumeStore(string directory)
    {
        _connection = StoreDatabase.Open(Path.Combine(directory, FileName));
        StoreDatabase.Execute(_connection, """
            CREATE TABLE IF NOT EXISTS volumes (
                name TEXT PRIMARY KEY,
                driver TEXT NOT NULL,
                created TEXT NOT NULL,
                labels TEXT NOT NULL,
                options TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS refs (
                volume TEXT NOT NULL,
                container TEXT NOT NULL,
                PRIMARY KEY (volume, container));
            CREATE TABLE IF NOT EXISTS mounts (
                container TEXT NOT NULL,
                destination TEXT NOT NULL,
                point TEXT NOT NULL,
                populated INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (container, destination));
            """);
    }

    public SqliteTransaction Begin() => _connection.BeginTransaction();

    /// <summary>The stored row; the mountpoint is made by the caller from the root.</summary>
    public VolumeRow? Get(string name) => Rows("WHERE name = $p", name).FirstOrDefault();

    public List<VolumeRow> List() => Rows("ORDER BY name", null);

    public void Insert(string name, string driver, DateTimeOffset created, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> options, SqliteTransaction? transaction = null)
    {
        using var cmd = Command("INSERT INTO volumes (name, driver, created, labels, options) VALUES ($name, $driver, $created, $labels, $options)", transaction);
        cmd.Parameters.AddWithValue("$name", name);
        cmd.Parameters.AddWithValue("$driver", driver);
        cmd.Parameters.AddWithValue("$created", created.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$labels", JsonSerializer.Serialize(labels.ToDictionary(), VolumeJson.Default.DictionaryStringString));
        cmd.Parameters.AddWithValue("$options", JsonSerializer.Serialize(options.ToDictionary(), VolumeJson.Default.DictionaryStringString));
        cmd.ExecuteNonQuery();
    }

    public void Delete(string name, SqliteTransaction? transaction = null)
    {
        using var cmd = Command("DELETE FROM volumes WHERE name = $p", transaction);
        cmd.Parameters.AddWithValue("$p", name);
        cmd.ExecuteNonQuery();
    }

    /// <summary>The containers referencing <paramref name="volume"/>, in the order they took it.</summary>
    public List<string> References(string volume) =>
        StoreDatabase.Query(_connection, "SELECT container FROM refs WHERE volume = $p ORDER BY rowid", volume, r => r.GetString(0));

    public Dictionary<string, List<string>> AllReferences()
    {
        var all = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (volume, container) in StoreDatabase.Query(_connection, "SELECT volume, container FROM refs ORDER BY rowid", null, r => (r.GetString(0), r.GetString(1))))
        {
            if (!all.TryGetValue(volume, out var list))
            {
                all[volume] = list = [];
            }
            list.Add(container);
        }
        return all;
    }

    public void Reference(string volume, string container, SqliteTransaction? transaction = null)
    {
        using var cmd = Command("INSERT OR IGNORE INTO refs (volume, container) VALUES ($v, $c)", transaction);
        cmd.Parameters.AddWithValue("$v", volume);
        cmd.Parameters.AddWithValue("$c", container);
        cmd.ExecuteNonQuery();
    }

    public void PutMount(string container, MountPoint point, SqliteTransaction? transaction = null)
    {
        using var cmd = Command("INSERT OR REPLACE INTO mounts (container, destination, point, populated) VALUES ($c, $d, $p, 0)", transaction);
        cmd.Parameters.AddWithValue("$c", container);
        cmd.Parameters.AddWithValue("$d", point.Destination);
        cmd.Parameters.AddWithValue("$p", JsonSerializer.Serialize(point, VolumeJson.Default.MountPoint));
        cmd.ExecuteNonQuery();
    }

    /// <summary>The container's mount points, in the order they were asked for, with whether copy-up already ran.</summary>
    public List<(MountPoint Point, bool Populated)> Mounts(string container) => StoreDatabase.Query(
        _connection,
        "SELECT point, populated FROM mounts WHERE container = $p ORDER BY rowid",
        container,
        r => (JsonSerializer.Deserialize(r.GetString(0), VolumeJson.Default.MountPoint)!, r.GetInt64(1) != 0));

    public void MarkPopulated(string container, string destination)
    {
        using var cmd = Command("UPDATE mounts SET populated = 1 WHERE container = $c AND destination = $d", null);
        cmd.Parameters.AddWithValue("$c", container);
        cmd.Parameters.AddWithValue("$d", destination);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Every container with references or mount points here.</summary>
    public List<string> Containers() =>
        StoreDatabase.Query(_connection, "SELECT container FROM refs UNION SELECT container FROM mounts", null, r => r.GetString(0));

    /// <summary>Forgets the container: its references and its mount points.</summary>
    public void ForgetContainer(string container, SqliteTransaction? transaction = null)
    {
        foreach (var sql in new[] { "DELETE FROM refs WHERE container = $p", "DELETE FROM mounts WHERE container = $p" })
        {
            using var cmd = Command(sql, transaction);
            cmd.Parameters.AddWithValue("$p", container);
            cmd.ExecuteNonQuery();
        }
    }

    public void Dispose() => _connection.Dispose();

    private SqliteCommand Command(string sql, SqliteTransaction? transaction)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = transaction;
        return cmd;
    }

    private List<VolumeRow> Rows(string where, string? parameter) =>
        StoreDatabase.Query(_connection, $"SELECT name, driver, created, labels, options FROM volumes {where}", parameter, r => new VolumeRow(
            r.GetString(0),
            r.GetString(1),
            DateTimeOffset.Parse(r.GetString(2), CultureInfo.InvariantCulture),
            JsonSerializer.Deserialize(r.GetString(3), VolumeJson.Default.DictionaryStringString) ?? [],
            JsonSerializer.Deserialize(r.GetString(4), VolumeJson.Default.DictionaryStringString) ?? []));
}

internal sealed record VolumeRow(string Name, string Driver, DateTimeOffset Created, Dictionary<string, string> Labels, Dictionary<string, string> Options);
