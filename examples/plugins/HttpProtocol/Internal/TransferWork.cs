using GrpcPlugins.Protocol.V1;

namespace HttpProtocol.Internal;

/// <summary>What moves a transfer's bytes. A <see cref="TransferJob"/> runs it, retries it and tracks its state.</summary>
internal abstract class TransferWork
{
    /// <summary>Asks the receiver how many bytes it holds; the next attempt starts there.</summary>
    public abstract Task<long> AcknowledgedAsync(CancellationToken cancellationToken);

    /// <summary>Moves bytes from the receiver's acknowledged offset to the end, reporting each acknowledged offset.</summary>
    /// <param name="progress">Receives the receiver's offset after each piece.</param>
    /// <param name="cancellationToken">Stops the attempt.</param>
    public abstract Task RunAsync(Action<long> progress, CancellationToken cancellationToken);

    /// <summary>Takes replaced properties, such as a fresh token, for later attempts.</summary>
    public abstract void Update(TransferOptions options);

    /// <summary>What a restarted plugin needs to go on with this work, or null for work that is not kept.</summary>
    public virtual SavedSend? Save() => null;
}
