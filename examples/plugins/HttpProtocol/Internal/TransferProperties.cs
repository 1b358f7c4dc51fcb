namespace HttpProtocol.Internal;

/// <summary>
/// The credentials a transfer uses on each side. They may be replaced on resume, since a token can expire, or a
/// restarted host forget it, while a transfer is stopped.
/// </summary>
internal sealed class TransferProperties(IReadOnlyDictionary<string, string> properties)
{
    private volatile string _sourceToken = properties.GetValueOrDefault("source_token", string.Empty);
    private volatile string _destinationToken = properties.GetValueOrDefault("destination_token", string.Empty);

    /// <summary>The bearer token for the host the file comes from.</summary>
    public string SourceToken => _sourceToken;

    /// <summary>The bearer token for the host the file goes to.</summary>
    public string DestinationToken => _destinationToken;

    /// <summary>Replaces the tokens that are given; the others stay.</summary>
    public void Update(IReadOnlyDictionary<string, string> replaced)
    {
        if (replaced.TryGetValue("source_token", out var source) && source.Length > 0)
        {
            _sourceToken = source;
        }

        if (replaced.TryGetValue("destination_token", out var destination) && destination.Length > 0)
        {
            _destinationToken = destination;
        }
    }
}
