using System.Text.Json;
using FileTransfer.Host.Http;
using FileTransfer.Host.Uploads;
using Npgsql;

namespace FileTransfer.Host.Cluster;

/// <summary>
/// Resumable uploads in the shared PostgreSQL database, so an upload started through one node can be resumed and
/// completed through any other (a node that dies mid-upload loses nothing acknowledged): the upload in
/// <c>ft_uploads</c> (what it becomes, how many bytes are acknowledged), its bytes in <c>ft_upload_parts</c> (one row
/// per piece of up to <see cref="PartBytes"/>), what a completed one became in <c>ft_uploads_done</c>. Each piece is
/// one transaction that appends its row and moves the offset only if the offset is still where the piece starts, so
/// two nodes appending at once cannot both succeed, and a piece is acknowledged only once committed.
/// </summary>
public sealed class SharedUploads
{
    /// <summary>The largest piece stored as one row.</summary>
    public const int PartBytes = 1 << 20;

    private const string Tables = """
        CREATE TABLE IF NOT EXISTS ft_uploads (
            id text PRIMARY KEY,
            info jsonb NOT NULL,
            size bigint NOT NULL,
            received bigint NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE IF NOT EXISTS ft_upload_parts (
            upload_id text NOT NULL REFERENCES ft_uploads (id) ON DELETE CASCADE,
            start bigint NOT NULL,
            data bytea NOT NULL,
            PRIMARY KEY (upload_id, start));
        CREATE TABLE IF NOT EXISTS ft_uploads_done (
            id text PRIMARY KEY,
            outcome jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now());
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly LazySchema _schema;

    /// <summary>Creates the store on the shared transfer records' connection pool; the tables are made on first use.</summary>
    /// <param name="transfers">The shared transfer records, whose pool this uses.</param>
    public SharedUploads(SharedTransfers transfers)
    {
        ArgumentNullException.ThrowIfNull(transfers);
        _dataSource = transfers.DataSource;
        _schema = new LazySchema(_dataSource, Tables);
    }

    /// <summary>Records a new upload.</summary>
    /// <param name="id">The upload's id.</param>
    /// <param name="info">The file it becomes.</param>
    /// <returns>A task that completes when the upload is stored.</returns>
    public async Task CreateAsync(string id, UploadInfo info)
    {
        await ReadyAsync(CancellationToken.None);
        await using var command = _dataSource.CreateCommand("INSERT INTO ft_uploads (id, info, size) VALUES ($1, $2::jsonb, $3)");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(info) });
        command.Parameters.Add(new NpgsqlParameter { Value = info.Size });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The upload's file and how many bytes are acknowledged, or null when there is no such upload.</summary>
    /// <param name="id">The upload's id.</param>
    /// <returns>The info and offset, or null.</returns>
    public async Task<(UploadInfo Info, long Offset)?> FindAsync(string id)
    {
        await ReadyAsync(CancellationToken.None);
        await using var command = _dataSource.CreateCommand("SELECT info::text, received FROM ft_uploads WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (JsonSerializer.Deserialize<UploadInfo>(reader.GetString(0))!, reader.GetInt64(1)) : null;
    }

    /// <summary>Appends the body at <paramref name="offset"/> in pieces, each committed before the next is read.</summary>
    /// <param name="id">The upload's id.</param>
    /// <param name="size">The size the upload declared.</param>
    /// <param name="offset">Where the sender believes the upload stands.</param>
    /// <param name="body">The next bytes.</param>
    /// <param name="cancellationToken">Stops the append; pieces committed so far stay acknowledged.</param>
    /// <returns>The new offset.</returns>
    public async Task<long> AppendAsync(string id, long size, long offset, Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[PartBytes];
        while (true)
        {
            var filled = 0;
            int read;
            try
            {
                while (filled < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
                {
                    filled += read;
                }
            }
            catch (Exception) when (filled > 0)
            {
                // The sender went away mid-piece: keep what arrived, as the single-node staging does, then report it.
                await AppendPartAsync(id, size, offset, buffer.AsMemory(0, filled), CancellationToken.None);
                throw;
            }

            if (filled == 0)
            {
                return offset;
            }

            offset = await AppendPartAsync(id, size, offset, buffer.AsMemory(0, filled), cancellationToken);
        }
    }

    /// <summary>Reads a complete upload's bytes in order, piece by piece.</summary>
    /// <param name="id">The upload's id.</param>
    /// <returns>The content.</returns>
    public Stream OpenContent(string id) => new PartsStream(_dataSource, id);

    /// <summary>Records what a complete upload became, so a retried complete, on any node, answers the same file.</summary>
    /// <param name="id">The upload's id.</param>
    /// <param name="outcome">The answer, as JSON.</param>
    /// <returns>A task that completes when the record is committed.</returns>
    public async Task RecordCompletedAsync(string id, string outcome)
    {
        await ReadyAsync(CancellationToken.None);
        await using var command = _dataSource.CreateCommand("INSERT INTO ft_uploads_done (id, outcome) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO UPDATE SET outcome = excluded.outcome");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = outcome });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The answer a completed upload gave, as JSON, or null.</summary>
    /// <param name="id">The upload's id.</param>
    /// <returns>The answer, or null.</returns>
    public async Task<string?> FindCompletedAsync(string id)
    {
        await ReadyAsync(CancellationToken.None);
        await using var command = _dataSource.CreateCommand("SELECT outcome::text FROM ft_uploads_done WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteScalarAsync() as string;
    }

    /// <summary>Removes an upload and its pieces.</summary>
    /// <param name="id">The upload's id.</param>
    /// <returns>A task that completes when they are gone.</returns>
    public async Task DeleteAsync(string id)
    {
        await ReadyAsync(CancellationToken.None);
        // The pieces go with their upload (ON DELETE CASCADE).
        await using var command = _dataSource.CreateCommand("DELETE FROM ft_uploads WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> AppendPartAsync(string id, long size, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (offset + data.Length > size)
        {
            throw ApiException.BadRequest($"The upload would grow past its declared size of {size} bytes.");
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var move = new NpgsqlCommand("UPDATE ft_uploads SET received = received + $3 WHERE id = $1 AND received = $2", connection, transaction))
        {
            move.Parameters.Add(new NpgsqlParameter { Value = id });
            move.Parameters.Add(new NpgsqlParameter { Value = offset });
            move.Parameters.Add(new NpgsqlParameter { Value = (long)data.Length });
            if (await move.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                throw new OffsetMismatchException((await FindAsync(id))?.Offset ?? throw UploadNotFound(id));
            }
        }

        await using (var insert = new NpgsqlCommand("INSERT INTO ft_upload_parts (upload_id, start, data) VALUES ($1, $2, $3)", connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = offset });
            insert.Parameters.Add(new NpgsqlParameter { Value = data.ToArray() });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return offset + data.Length;
    }

    /// <summary>The answer for an upload id no node knows.</summary>
    /// <param name="id">The upload's id.</param>
    /// <returns>The 404 problem.</returns>
    public static ApiException UploadNotFound(string id) => ApiException.NotFound($"No upload has id '{id}'. Start one with POST /v1/uploads.");

    private Task ReadyAsync(CancellationToken cancellationToken) => _schema.EnsureAsync(cancellationToken);

    // Reads one piece per query, in order, so a large upload never sits whole in memory.
    private sealed class PartsStream(NpgsqlDataSource dataSource, string id) : Stream
    {
        private byte[] _part = [];
        private int _used;
        private long _next;
        private bool _ended;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_used == _part.Length && !_ended)
            {
                await using var command = dataSource.CreateCommand("SELECT data FROM ft_upload_parts WHERE upload_id = $1 AND start = $2");
                command.Parameters.Add(new NpgsqlParameter { Value = id });
                command.Parameters.Add(new NpgsqlParameter { Value = _next });
                if (await command.ExecuteScalarAsync(cancellationToken) is byte[] part)
                {
                    _part = part;
                    _used = 0;
                    _next += part.Length;
                }
                else
                {
                    _ended = true;
                }
            }

            var count = Math.Min(buffer.Length, _part.Length - _used);
            _part.AsMemory(_used, count).CopyTo(buffer);
            _used += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
