using System.Text.Json.Serialization;

namespace HttpProtocol.Internal;

/// <summary>
/// A send as kept in the host's key-value store (grant <c>kv</c>), under <c>transfer/{id}</c>: enough to report it and
/// to continue it after the plugin restarts or is upgraded. No user token is kept: the file is read through the host's
/// callbacks (<c>file_id</c>); a send that reads a URL with a token needs a Resume with a fresh one after a restart.
/// </summary>
/// <param name="Transfer">The transfer's state as last reported (<c>grpcplugins.protocol.v1.Transfer</c>, binary).</param>
/// <param name="Send">What the send needs to go on.</param>
internal sealed record SavedTransfer(byte[] Transfer, SavedSend Send);

/// <summary>The parameters of a send.</summary>
/// <param name="Source">The file's URL on the sending host.</param>
/// <param name="Destination">The receiving host's base URL.</param>
/// <param name="Name">The file's name.</param>
/// <param name="Size">The file's size in bytes.</param>
/// <param name="Sha256">The file's expected SHA-256, or empty.</param>
/// <param name="FileId">The file's id for the host's ReadFile callback, or null to read <paramref name="Source"/>.</param>
/// <param name="ChunkSize">Bytes per PATCH.</param>
/// <param name="DestinationToken">The bearer token for the receiving host.</param>
/// <param name="UploadId">The receiver's upload, once opened.</param>
internal sealed record SavedSend(string Source, string Destination, string Name, long Size, string Sha256, string? FileId, int ChunkSize, string DestinationToken, string? UploadId);

/// <summary>The JSON of <see cref="SavedTransfer"/>, generated at build time (the plugin is AOT compatible).</summary>
[JsonSerializable(typeof(SavedTransfer))]
internal sealed partial class SavedTransferJson : JsonSerializerContext;
