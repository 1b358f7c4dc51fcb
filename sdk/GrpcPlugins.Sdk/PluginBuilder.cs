using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Storage.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using GrpcPlugins.Sdk.Internal;
using GrpcPlugins.Sdk.Internal.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GrpcPlugins.Sdk;

/// <summary>
/// Describes a plugin to <see cref="PluginServer.RunAsync"/>: the service it provides, its metadata
/// and its own dependencies.
/// </summary>
public sealed class PluginBuilder
{
    // What gRPC's MapGrpcService and DI need of a service type, kept by the trimmer so that plugins can be NativeAOT.
    private const DynamicallyAccessedMemberTypes ServiceMembers =
        DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods;

    private readonly List<Type> _serviceTypes = [];
    private readonly List<Action<IEndpointRouteBuilder>> _mapServices = [];
    private Type? _builtInType;
    private int _maxMessageSize = 4 * 1024 * 1024;

    internal PluginBuilder(IServiceCollection services)
    {
        Services = services;
        var entry = Assembly.GetEntryAssembly();
        Metadata = new PluginMetadata
        {
            Name = entry?.GetName().Name ?? "plugin",
            Version = entry?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                ?? entry?.GetName().Version?.ToString() ?? "0.0.0",
            Description = entry?.GetCustomAttribute<AssemblyDescriptionAttribute>()?.Description ?? string.Empty,
            Author = entry?.GetCustomAttribute<AssemblyCompanyAttribute>()?.Company ?? string.Empty,
        };
    }

    /// <summary>The services of the plugin process, for the author's own dependencies.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// The metadata the plugin reports. Defaults to the entry assembly's name, informational version,
    /// description and company; the Add method sets the type and the API versions the plugin speaks.
    /// </summary>
    public PluginMetadata Metadata { get; }

    /// <summary>
    /// The largest message the plugin accepts or sends, in bytes; a bigger one fails its call with ResourceExhausted
    /// and a message naming this limit. At least 1 KiB. Defaults to 4 MiB.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1 KiB.</exception>
    public int MaxMessageSize
    {
        get => _maxMessageSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1024);
            _maxMessageSize = value;
        }
    }

    /// <summary>How long the plugin waits for calls in flight when it stops. Defaults to 5 seconds.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether calls of the plugin's type are refused until the host calls Init, whoever started the plugin. Defaults to
    /// false: they are refused before Init only when a GrpcPlugins host (which always calls Init) started the plugin; under
    /// a HashiCorp go-plugin host, which never calls Init, the plugin serves at once.
    /// </summary>
    public bool RequireInit { get; set; }

    /// <summary>
    /// The config map the host sent with its last Init, as configuration: keys as the host sent them (<c>:</c> nests,
    /// as in appsettings), reloaded at each Init. Bind a settings class to it with <see cref="AddSettings{TSettings}"/>.
    /// Empty before the first Init.
    /// </summary>
    public IConfiguration Settings => InitSettings.Configuration;

    /// <summary>The Init config and the checks of the settings types; one per plugin.</summary>
    internal InitSettings InitSettings { get; } = new();

    /// <summary>
    /// Adds <typeparamref name="TSettings"/>, the plugin's settings read from the host's Init config, and returns its
    /// options builder: bind it with <c>.Bind(p.Settings)</c> (one call at the plugin's own call site, which the
    /// configuration binding source generator turns into reflection-free code for NativeAOT). Services read the
    /// settings from <see cref="IOptionsMonitor{TOptions}"/> (<c>CurrentValue</c>, in their <see cref="IPluginLifecycle.InitAsync"/>).
    /// At each Init the settings are bound and validated before any service's <c>InitAsync</c> runs: the data
    /// annotations on its public properties (<c>[Required]</c>, <c>[Range]</c>, ...) and any
    /// <see cref="IValidateOptions{TOptions}"/> registered for it. A value that does not convert, is missing or is
    /// out of range makes Init fail with <see cref="PluginErrorCode.InvalidArgument"/> and a message naming the key,
    /// the value and what is expected, and the previous settings stay. Name a property's key with
    /// <see cref="ConfigurationKeyNameAttribute"/> (such as <c>chunk_size</c>); defaults are the properties' initializers.
    /// </summary>
    /// <typeparam name="TSettings">A class with public settable properties, one per setting.</typeparam>
    /// <returns>The options builder of <typeparamref name="TSettings"/>, to bind and add validations.</returns>
    public OptionsBuilder<TSettings> AddSettings<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TSettings>()
        where TSettings : class
    {
        Services.AddSingleton<IValidateOptions<TSettings>>(services => new AnnotatedSettingsValidator<TSettings>(services.GetRequiredService<PluginBuilder>().InitSettings));
        InitSettings.AddCheck<TSettings>();
        return Services.AddOptions<TSettings>();
    }

    /// <summary>The go-plugin cookies the plugin accepts besides GrpcPlugins' own, added by <see cref="AcceptCookie"/>.</summary>
    internal List<KeyValuePair<string, string>> Cookies { get; } = [];

    /// <summary>
    /// Lets a HashiCorp go-plugin host whose <c>HandshakeConfig</c> uses this magic cookie start the plugin, besides a
    /// GrpcPlugins host. go-plugin applications each choose their own key and value; a process started with neither
    /// cookie prints why it cannot run and exits with code 1. Defaults to none: only GrpcPlugins' cookie.
    /// </summary>
    /// <param name="key">The environment variable, go-plugin's <c>MagicCookieKey</c>.</param>
    /// <param name="value">Its value, go-plugin's <c>MagicCookieValue</c>.</param>
    /// <returns>This builder.</returns>
    public PluginBuilder AcceptCookie(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(value);
        Cookies.Add(new(key, value));
        return this;
    }

    /// <summary>The types of the services the plugin serves, in the order they were added.</summary>
    internal IReadOnlyList<Type> ServiceTypes => _serviceTypes.Count > 0
        ? _serviceTypes
        : throw new InvalidOperationException("The plugin provides no service: call AddAuth, AddStorage, AddProtocol, AddMonitor or AddService in the configure callback of PluginServer.RunAsync.");

    /// <summary>
    /// Serves <typeparamref name="TService"/>, an implementation of any gRPC service: usually the application's own
    /// contract, whose .proto lives in the application's project and whose base class Grpc.Tools generates. Its calls get
    /// what the built-in types' calls get: refused before Init, errors as typed statuses, the call context and
    /// telemetry. The service's fully-qualified name is added to <see cref="PluginMetadata.Services"/>, where the host
    /// checks it; a plugin with no built-in type reports the type Custom. Call it once per service; one instance of
    /// <typeparamref name="TService"/> serves every call, and gets Init and Shutdown if it implements
    /// <see cref="IPluginLifecycle"/>.
    /// </summary>
    /// <typeparam name="TService">The service implementation, derived from a base class generated by Grpc.Tools.</typeparam>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">
    /// <typeparamref name="TService"/> is not derived from a generated service base class, or the plugin serves it already.
    /// </exception>
    public PluginBuilder AddService<[DynamicallyAccessedMembers(ServiceMembers)] TService>()
        where TService : class
    {
        var name = ServiceNameOf(typeof(TService));
        if (Metadata.Services.Contains(name))
        {
            throw new InvalidOperationException($"The plugin already serves {name}; add each service once.");
        }

        if (Metadata.Type == PluginType.Unspecified)
        {
            Metadata.Type = PluginType.Custom;
        }

        if (Metadata.ApiVersions.Count == 0)
        {
            // An application's own contract is versioned by its package; the plugin speaks every version of the framework's protocol.
            Metadata.ApiVersions.Add(PluginProtocol.AppProtocolVersions.Select(PluginProtocol.ApiVersionName));
        }

        Register<TService>(name);
        return this;
    }

    /// <summary>
    /// Serves <typeparamref name="TService"/> as HTTP routes (grpcplugins.http.v1.RouteService): a host that calls
    /// <c>MapPluginRoutes</c> mounts its routes. The same as <see cref="AddService{TService}"/> for that contract.
    /// </summary>
    /// <typeparam name="TService">The route plugin, derived from <see cref="HttpRouteService"/>.</typeparam>
    /// <returns>This builder.</returns>
    public PluginBuilder AddHttpRoutes<[DynamicallyAccessedMembers(ServiceMembers)] TService>()
        where TService : HttpRouteService => AddService<TService>();

    /// <summary>
    /// Serves <typeparamref name="TService"/> as HTTP middleware (grpcplugins.http.v1.MiddlewareService): a host that
    /// calls <c>UsePluginMiddleware</c> asks it about each request. The same as <see cref="AddService{TService}"/> for that contract.
    /// </summary>
    /// <typeparam name="TService">The middleware plugin, derived from <see cref="HttpMiddlewareService"/>.</typeparam>
    /// <returns>This builder.</returns>
    public PluginBuilder AddHttpMiddleware<[DynamicallyAccessedMembers(ServiceMembers)] TService>()
        where TService : HttpMiddlewareService => AddService<TService>();

    /// <summary>Serves <typeparamref name="TService"/> as the plugin's AuthService.</summary>
    /// <typeparam name="TService">The service implementation.</typeparam>
    /// <returns>This builder.</returns>
    public PluginBuilder AddAuth<[DynamicallyAccessedMembers(ServiceMembers)] TService>()
        where TService : AuthService.AuthServiceBase => Add<TService>(PluginType.Auth);

    /// <summary>
    /// Serves <typeparamref name="TService"/> as the plugin's StorageService, and declares
    /// <see cref="Capability.StoreEnd"/>: the host then ends every Store with a StoreEnd message, which
    /// <see cref="StorageStreams.ReadStoreAsync"/> checks, so a cut-off upload fails instead of being committed. On
    /// 64-bit Linux it also declares <see cref="Capability.DataChannelFiles"/>: a Retrieve whose content is a
    /// <see cref="FileStream"/> given to <see cref="StorageStreams.WriteRetrieveAsync"/> then passes the open file to the
    /// host, which reads it itself, instead of sending its bytes over the data channel; and
    /// <see cref="Capability.DataChannelStoreFiles"/>: a Store received with <see cref="StoreUpload.ReceiveIntoAsync"/>
    /// then passes the plugin's file to the host, which writes the content into it.
    /// </summary>
    /// <typeparam name="TService">The service implementation.</typeparam>
    /// <returns>This builder.</returns>
    public PluginBuilder AddStorage<[DynamicallyAccessedMembers(ServiceMembers)] TService>()
        where TService : StorageService.StorageServiceBase
    {
        // The SDK checks the end marker of every Store (StorageStreams.ReadStoreAsync), so every SDK storage plugin can ask for it.
        Add<TService>(PluginType.Storage);
        Metadata.Capabilities.Add(Capability.StoreEnd);
        if (GrpcPlugins.Internal.UnixRights.IsSupported)
        {
            Metadata.Capabilities.Add(Capability.DataChannelFiles);
            Metadata.Capabilities.Add(Capability.DataChannelStoreFiles);
        }

        return this;
    }

    /// <summary>Serves <typeparamref name="TService"/> as the plugin's ProtocolService.</summary>
    /// <typeparam name="TService">The service implementation.</typeparam>
    /// <returns>This builder.</returns>
    public PluginBuilder AddProtocol<[DynamicallyAccessedMembers(ServiceMembers)] TService>()
        where TService : ProtocolService.ProtocolServiceBase => Add<TService>(PluginType.Protocol);

    /// <summary>
    /// Serves <typeparamref name="TService"/> as the plugin's MonitorService. A service derived from
    /// <c>GrpcPlugins.Monitor.V2.MonitorService.MonitorServiceBase</c> takes events in batches; it speaks API v2, and v1
    /// too, for older hosts, through a bridge that turns each v1 call into a one-event batch. A service derived from
    /// <c>GrpcPlugins.Monitor.V1.MonitorService.MonitorServiceBase</c> takes one call per event and speaks only v1,
    /// which every host of this release still serves.
    /// </summary>
    /// <typeparam name="TService">The service implementation, derived from the v2 or the v1 MonitorServiceBase.</typeparam>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException"><typeparamref name="TService"/> derives from neither MonitorServiceBase.</exception>
    public PluginBuilder AddMonitor<[DynamicallyAccessedMembers(ServiceMembers)] TService>()
        where TService : class
    {
        if (typeof(TService).IsSubclassOf(typeof(Monitor.V1.MonitorService.MonitorServiceBase)))
        {
            return Add<TService>(PluginType.Monitor, [1]);
        }

        if (!typeof(TService).IsSubclassOf(typeof(Monitor.V2.MonitorService.MonitorServiceBase)))
        {
            throw new InvalidOperationException(
                $"{typeof(TService).Name} is not a monitor service: derive it from GrpcPlugins.Monitor.V2.MonitorService.MonitorServiceBase (events in batches), or from the V1 base of older plugins.");
        }

        Add<TService>(PluginType.Monitor, [1, 2]);
        Services.AddSingleton(sp => new MonitorV1Bridge((Monitor.V2.MonitorService.MonitorServiceBase)(object)sp.GetRequiredService<TService>()));
        _mapServices.Add(endpoints => endpoints.MapGrpcService<MonitorV1Bridge>());
        Metadata.Services.Add(Monitor.V1.MonitorService.Descriptor.FullName);
        return this;
    }

    /// <summary>Adds capabilities to the plugin's metadata.</summary>
    /// <param name="capabilities">The capabilities the plugin has.</param>
    /// <returns>This builder.</returns>
    public PluginBuilder WithCapabilities(params Capability[] capabilities)
    {
        Metadata.Capabilities.Add(capabilities);
        return this;
    }

    /// <summary>
    /// Exports the plugin's own <c>Meter</c> with the SDK's metrics: over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is
    /// set, and to any meter provider the author adds with <c>Services.AddOpenTelemetry()</c>.
    /// </summary>
    /// <param name="name">The meter's name, such as "MyCompany.MyPlugin".</param>
    /// <returns>This builder.</returns>
    public PluginBuilder AddMeter(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Services.ConfigureOpenTelemetryMeterProvider(m => m.AddMeter(name));
        return this;
    }

    /// <summary>
    /// Exports the spans of the plugin's own <c>ActivitySource</c> with the SDK's server spans: over OTLP when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and to any tracer provider the author adds with <c>Services.AddOpenTelemetry()</c>.
    /// Spans started while serving a call are children of the call's server span.
    /// </summary>
    /// <param name="name">The source's name, such as "MyCompany.MyPlugin".</param>
    /// <returns>This builder.</returns>
    public PluginBuilder AddActivitySource(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Services.ConfigureOpenTelemetryTracerProvider(t => t.AddSource(name));
        return this;
    }

    internal void MapService(IEndpointRouteBuilder endpoints)
    {
        foreach (var map in _mapServices)
        {
            map(endpoints);
        }
    }

    // The fully-qualified name of the service a generated base class binds (Internal/ServiceNames).
    internal static string ServiceNameOf(Type serviceType) =>
        ServiceNames.Of(serviceType) ?? throw new InvalidOperationException(
            $"{serviceType.FullName} is not a gRPC service: AddService takes a class derived from a service base class that Grpc.Tools generates from a .proto (such as MyService.MyServiceBase), with the .proto in a <Protobuf Include=\"...\" GrpcServices=\"Server\" /> item.");

    // Auth, storage and protocol contracts are the same in every API version, so those plugins speak them all.
    private PluginBuilder Add<[DynamicallyAccessedMembers(ServiceMembers)] TService>(PluginType type, IEnumerable<int>? apiVersions = null)
        where TService : class
    {
        if (_builtInType is not null)
        {
            throw new InvalidOperationException($"The plugin already serves {_builtInType.Name}; a plugin process serves at most one built-in plugin type (add other contracts with AddService).");
        }

        _builtInType = typeof(TService);
        Metadata.Type = type;
        Metadata.ApiVersions.Clear();
        Metadata.ApiVersions.Add((apiVersions ?? PluginProtocol.AppProtocolVersions).Select(PluginProtocol.ApiVersionName));
        Register<TService>(ServiceNameOf(typeof(TService)));
        return this;
    }

    private void Register<[DynamicallyAccessedMembers(ServiceMembers)] TService>(string serviceName)
        where TService : class
    {
        _serviceTypes.Add(typeof(TService));
        Metadata.Services.Add(serviceName);
        // One instance for the process, so that state set by Init is seen by every call.
        Services.AddSingleton<TService>();
        _mapServices.Add(endpoints => endpoints.MapGrpcService<TService>());
    }
}
