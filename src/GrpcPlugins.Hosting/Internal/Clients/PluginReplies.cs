using Grpc.Core;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Errors for plugins that break the contract: a reply the host cannot use, or a message over the size limit.
/// Each names the plugin and says what to do, so a lying plugin is reported rather than crashing its caller.
/// </summary>
internal static class PluginReplies
{
    // Grpc.Net.Client's wording for a message over MaxReceiveMessageSize / MaxSendMessageSize.
    private const string ReceivedTooLarge = "Received message exceeds the maximum configured message size";
    private const string SendingTooLarge = "Sending message exceeds the maximum configured message size";

    /// <summary>A reply that breaks the contract: the plugin is at fault, and the host refuses to use it.</summary>
    public static PluginException Broken(string pluginName, string what) =>
        new(PluginErrorCode.Internal, $"Plugin '{pluginName}' {what} The plugin is broken; check its log and fix or replace it.")
        {
            PluginName = pluginName,
            ErrorSource = PluginErrorSource.Plugin,
        };

    /// <summary>Reads a message-size failure of the host's own channel into a clear error; null for any other failure.</summary>
    public static PluginException? Oversize(RpcException exception, PluginOptions options)
    {
        if (exception.StatusCode != StatusCode.ResourceExhausted || PluginErrors.TryGetRpcStatus(exception) is not null)
        {
            return null;
        }

        if (exception.Status.Detail.StartsWith(ReceivedTooLarge, StringComparison.Ordinal))
        {
            return Broken(options.Name, $"sent a message larger than the host's limit of {options.MaxMessageSize} bytes (PluginOptions.MaxMessageSize). Make the plugin send smaller chunks, or raise MaxMessageSize on both sides.");
        }

        if (exception.Status.Detail.StartsWith(SendingTooLarge, StringComparison.Ordinal))
        {
            return PluginException.FromHost(
                PluginErrorCode.InvalidArgument,
                $"The host did not send a message of more than {options.MaxMessageSize} bytes (PluginOptions.MaxMessageSize) to plugin '{options.Name}'. Send less at once, such as smaller metadata or a smaller ChunkSize.",
                options.Name,
                exception);
        }

        return null;
    }
}
