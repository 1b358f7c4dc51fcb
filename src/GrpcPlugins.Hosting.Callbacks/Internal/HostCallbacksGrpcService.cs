using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins.HostCallbacks.V1;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Callbacks.Internal;

/// <summary>The callbacks plugins make: each call is tied to a plugin by its launch token, then checked against its grants.</summary>
internal sealed class HostCallbacksGrpcService(
    HostCallbackServer server,
    HostCallbacksOptions options,
    ILoggerFactory loggerFactory) : HostCallbacksService.HostCallbacksServiceBase
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<HostCallbacksGrpcService>();

    public override async Task ReadFile(ReadFileRequest request, IServerStreamWriter<ReadFileResponse> responseStream, ServerCallContext context)
    {
        var plugin = Authorize(context, HostCallbackGrants.FilesRead, "ReadFile");
        var files = server.Files;
        if (files is null)
        {
            throw Fail(PluginErrorCode.NotSupported, "This host serves no files to plugins (no IHostFileSource is registered).");
        }

        if (string.IsNullOrEmpty(request.FileId))
        {
            throw Fail(PluginErrorCode.InvalidArgument, "ReadFile needs a file_id.");
        }

        if (request.Offset < 0)
        {
            throw Fail(PluginErrorCode.InvalidArgument, $"ReadFile's offset is {request.Offset}; it must be 0 or more.");
        }

        var file = await files.OpenAsync(plugin.Name, request.FileId, string.IsNullOrEmpty(request.UserId) ? null : request.UserId, request.Offset, context.CancellationToken).ConfigureAwait(false)
            ?? throw Fail(PluginErrorCode.NotFound, $"No file '{request.FileId}'" + (string.IsNullOrEmpty(request.UserId) ? "." : $" that user '{request.UserId}' may read."));
        using var owner = file.Owner;
        await using (file.Content.ConfigureAwait(false))
        {
            await responseStream.WriteAsync(new ReadFileResponse { Metadata = file.Metadata }, context.CancellationToken).ConfigureAwait(false);
            var buffer = new byte[options.ChunkSize];
            int read;
            while ((read = await file.Content.ReadAsync(buffer, context.CancellationToken).ConfigureAwait(false)) > 0)
            {
                await responseStream.WriteAsync(new ReadFileResponse { Chunk = ByteString.CopyFrom(buffer, 0, read) }, context.CancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override async Task<GetValueResponse> GetValue(GetValueRequest request, ServerCallContext context)
    {
        var plugin = Authorize(context, HostCallbackGrants.KeyValue, "GetValue");
        CheckKey(request.Key);
        var value = await server.Store.GetAsync(plugin.Name, request.Key, context.CancellationToken).ConfigureAwait(false);
        return value is null ? new GetValueResponse() : new GetValueResponse { Found = true, Value = ByteString.CopyFrom(value) };
    }

    public override async Task<PutValueResponse> PutValue(PutValueRequest request, ServerCallContext context)
    {
        var plugin = Authorize(context, HostCallbackGrants.KeyValue, "PutValue");
        CheckKey(request.Key);
        if (request.Value.Length > options.MaxValueSize)
        {
            throw Fail(PluginErrorCode.InvalidArgument, $"The value of '{request.Key}' is {request.Value.Length} bytes; a value may be at most {options.MaxValueSize} bytes. Split it over several keys.");
        }

        if (!await server.Store.PutAsync(plugin.Name, request.Key, request.Value.ToByteArray(), context.CancellationToken).ConfigureAwait(false))
        {
            throw Fail(PluginErrorCode.ResourceExhausted, $"Plugin '{plugin.Name}' already stores {options.MaxKeysPerPlugin} keys, the most it may. Delete keys it no longer needs.");
        }

        return new PutValueResponse();
    }

    public override async Task<DeleteValueResponse> DeleteValue(DeleteValueRequest request, ServerCallContext context)
    {
        var plugin = Authorize(context, HostCallbackGrants.KeyValue, "DeleteValue");
        CheckKey(request.Key);
        return new DeleteValueResponse { Deleted = await server.Store.DeleteAsync(plugin.Name, request.Key, context.CancellationToken).ConfigureAwait(false) };
    }

    public override async Task<ListValuesResponse> ListValues(ListValuesRequest request, ServerCallContext context)
    {
        var plugin = Authorize(context, HostCallbackGrants.KeyValue, "ListValues");
        var response = new ListValuesResponse();
        foreach (var (key, value) in await server.Store.ListAsync(plugin.Name, request.Prefix, context.CancellationToken).ConfigureAwait(false))
        {
            response.Entries.Add(new Entry { Key = key, Value = ByteString.CopyFrom(value) });
        }

        return response;
    }

    public override Task<WriteLogResponse> WriteLog(WriteLogRequest request, ServerCallContext context)
    {
        var plugin = Authorize(context, HostCallbackGrants.Log, "WriteLog");
        var logger = loggerFactory.CreateLogger("GrpcPlugins.Plugin." + plugin.Name);
        var level = request.Level switch
        {
            HostCallbacks.V1.LogLevel.Trace => Microsoft.Extensions.Logging.LogLevel.Trace,
            HostCallbacks.V1.LogLevel.Debug => Microsoft.Extensions.Logging.LogLevel.Debug,
            HostCallbacks.V1.LogLevel.Warning => Microsoft.Extensions.Logging.LogLevel.Warning,
            HostCallbacks.V1.LogLevel.Error => Microsoft.Extensions.Logging.LogLevel.Error,
            HostCallbacks.V1.LogLevel.Critical => Microsoft.Extensions.Logging.LogLevel.Critical,
            _ => Microsoft.Extensions.Logging.LogLevel.Information,
        };
        using (logger.BeginScope(request.Fields.ToDictionary(f => f.Key, f => (object?)f.Value)))
        {
            CallbacksLog.PluginLog(logger, level, plugin.Name, request.Message);
        }

        return Task.FromResult(new WriteLogResponse());
    }

    public override async Task<PublishEventResponse> PublishEvent(PublishEventRequest request, ServerCallContext context)
    {
        var plugin = Authorize(context, HostCallbackGrants.Log, "PublishEvent");
        if (string.IsNullOrEmpty(request.Kind))
        {
            throw Fail(PluginErrorCode.InvalidArgument, "PublishEvent needs a kind, such as \"transfer.completed\".");
        }

        var events = server.Events;
        var accepted = events is not null
            && await events.PublishAsync(plugin.Name, request.Kind, request.Data ?? new Google.Protobuf.WellKnownTypes.Struct(), context.CancellationToken).ConfigureAwait(false);
        CallbacksLog.EventPublished(_logger, plugin.Name, request.Kind, accepted);
        return new PublishEventResponse { Accepted = accepted };
    }

    private PluginOptions Authorize(ServerCallContext context, string grant, string method)
    {
        var launch = server.FindLaunch(context.RequestHeaders.GetValue(HostCallbackServer.TokenHeader));
        if (launch is null)
        {
            CallbacksLog.Unauthenticated(_logger, method);
            throw Fail(
                PluginErrorCode.Unauthenticated,
                $"The call to {method} carries no valid host token. Send the value of {HostCallbackServer.TokenVariable} that this launch was given in the '{HostCallbackServer.TokenHeader}' metadata.");
        }

        var plugin = launch.Plugin;

        // Under AutoMTLS the token alone is not enough: the call must come over the TLS socket, on a connection that
        // presented this very launch's certificate (so another launch's connection cannot use a token it learned).
        var presented = context.GetHttpContext().Connection.ClientCertificate;
        if (launch.Tls ? !launch.Matches(presented) : presented is not null)
        {
            var reason = launch.Tls
                ? $"its launch uses AutoMTLS, so its callbacks must come over the TLS socket in {HostCallbackServer.AddressVariable}, presenting the plugin's own AutoMTLS certificate and pinning {HostCallbackServer.CertificateVariable}"
                : $"its launch does not use AutoMTLS, so its callbacks must come over the plaintext socket in {HostCallbackServer.AddressVariable}";
            CallbacksLog.WrongConnection(_logger, plugin.Name, method, reason);
            throw Fail(PluginErrorCode.Unauthenticated, $"The call to {method} came over the wrong connection: {reason}.");
        }

        if (!plugin.HostCallbacks.Contains(grant, StringComparer.OrdinalIgnoreCase))
        {
            CallbacksLog.PermissionDenied(_logger, plugin.Name, method, grant);
            throw Fail(
                PluginErrorCode.PermissionDenied,
                $"Plugin '{plugin.Name}' may not call {method}: it needs the grant \"{grant}\". Add it to Plugins:{plugin.Name}:HostCallbacks, or to permissions.callbacks in its plugin.json.");
        }

        return plugin;
    }

    private static void CheckKey(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 256)
        {
            throw Fail(PluginErrorCode.InvalidArgument, $"A key is 1 to 256 characters; this one has {key.Length}.");
        }
    }

    private static RpcException Fail(PluginErrorCode code, string message) =>
        PluginErrors.ToRpcException(new PluginException(code, message) { ErrorSource = PluginErrorSource.Host });
}
