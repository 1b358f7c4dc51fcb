using Google.Protobuf;
using GrpcPlugins.HostCallbacks.V1;
using GrpcPlugins.Sdk.Internal;

namespace GrpcPlugins.Sdk;

/// <summary>
/// The plugin's own durable key-value store, kept by the host under the plugin's name, so it survives the plugin's
/// restarts and upgrades. Keys are 1 to 256 characters; values at most 64 KiB (the host's <c>MaxValueSize</c>). Needs the
/// grant <c>kv</c>; a refusal throws <see cref="PluginException"/> with the host's code (PermissionDenied, Unauthenticated).
/// </summary>
public sealed class HostKeyValue
{
    private readonly HostCallbacksConnection _connection;

    internal HostKeyValue(HostCallbacksConnection connection) => _connection = connection;

    /// <summary>Reads a value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Abandons the call.</param>
    /// <returns>The value, or null when the key has none.</returns>
    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var response = await _connection.CallAsync((c, o) => c.GetValueAsync(new GetValueRequest { Key = key }, o), cancellationToken).ConfigureAwait(false);
        return response.Found ? response.Value.ToByteArray() : null;
    }

    /// <summary>Writes a value durably: once this returns, the value survives the plugin's and the host's restart.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Abandons the call.</param>
    /// <returns>A task that completes once the value is stored.</returns>
    public async Task PutAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        await _connection.CallAsync((c, o) => c.PutValueAsync(new PutValueRequest { Key = key, Value = ByteString.CopyFrom(value.Span) }, o), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a value; removing a missing key succeeds.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Abandons the call.</param>
    /// <returns>True when the key had a value.</returns>
    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var response = await _connection.CallAsync((c, o) => c.DeleteValueAsync(new DeleteValueRequest { Key = key }, o), cancellationToken).ConfigureAwait(false);
        return response.Deleted;
    }

    /// <summary>Lists the entries whose keys start with a prefix, in ordinal key order.</summary>
    /// <param name="prefix">The prefix; empty lists all.</param>
    /// <param name="cancellationToken">Abandons the call.</param>
    /// <returns>The entries.</returns>
    public async Task<IReadOnlyList<KeyValuePair<string, byte[]>>> ListAsync(string prefix = "", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var response = await _connection.CallAsync((c, o) => c.ListValuesAsync(new ListValuesRequest { Prefix = prefix }, o), cancellationToken).ConfigureAwait(false);
        return response.Entries.Select(e => KeyValuePair.Create(e.Key, e.Value.ToByteArray())).ToList();
    }
}
