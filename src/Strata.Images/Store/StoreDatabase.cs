using Microsoft.Data.Sqlite;

namespace Strata.Images.Store;

/// <summary>
/// The SQLite settings and calls strata's stores share (the image store's <see cref="MetadataStore"/>, the
/// engine's container store), so every database of the root is opened with the same durability rule.
/// </summary>
public static class StoreDatabase
{
    /// <summary>
    /// Opens (creating it if missing) the database at <paramref name="path"/>: WAL with synchronous=FULL, so
    /// a committed change survives power loss, and a 30 s wait for another strata process's lock.
    /// </summary>
    public static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;");
        return connection;
    }

    /// <summary>Runs <paramref name="sql"/>, with <paramref name="parameter"/> as $p when given; returns the rows changed.</summary>
    public static int Execute(SqliteConnection connection, string sql, string? parameter = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        if (parameter is not null)
        {
            cmd.Parameters.AddWithValue("$p", parameter);
        }
        return cmd.ExecuteNonQuery();
    }

    public static bool TableExists(SqliteConnection connection, string table)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        cmd.Parameters.AddWithValue("$name", table);
        return (long)cmd.ExecuteScalar()! > 0;
    }

    /// <summary>Runs <paramref name="sql"/>, with <paramref name="parameter"/> as $p when given, and reads each row.</summary>
    public static List<T> Query<T>(SqliteConnection connection, string sql, string? parameter, Func<SqliteDataReader, T> read)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(read);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        if (parameter is not null)
        {
            cmd.Parameters.AddWithValue("$p", parameter);
        }
        using var reader = cmd.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(read(reader));
        }
        return list;
    }
}
