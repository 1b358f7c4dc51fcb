using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace HttpProtocol.Internal;

/// <summary>
/// The HttpClient the plugin talks to remote hosts with, from the HttpClient factory: a connect timeout, and a
/// resilience handler (Microsoft.Extensions.Http.Resilience) that bounds each request by
/// <see cref="HttpProtocolSettings.RequestTimeout"/>, reloaded when an Init brings new settings. Retries are not
/// here but per transfer (<see cref="TransferRetry"/>), where an attempt resumes from the receiver's offset.
/// </summary>
internal static class RemoteHttpClient
{
    public const string Name = "remote";

    /// <summary>Registers the client.</summary>
    public static IServiceCollection AddRemoteHttpClient(this IServiceCollection services)
    {
        services.AddHttpClient(Name, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) })
            .AddResilienceHandler("request-timeout", static (pipeline, context) =>
            {
                context.EnableReloads<HttpProtocolSettings>();
                pipeline.AddTimeout(context.GetOptions<HttpProtocolSettings>().RequestTimeout);
            });
        return services;
    }
}
