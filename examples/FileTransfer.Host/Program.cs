using FileTransfer.Host;
using FileTransfer.Host.Auth;
using FileTransfer.Host.Cluster;
using FileTransfer.Host.Files;
using FileTransfer.Host.Http;
using FileTransfer.Host.Plugins;
using FileTransfer.Host.Scanning;
using FileTransfer.Host.Telemetry;
using FileTransfer.Host.Transfers;
using FileTransfer.Host.Uploads;

// Settings and plugins sit beside the program; data goes under the folder it is run from (./data by default).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.WebHost.ConfigureKestrel(k =>
{
    k.Limits.MaxRequestBodySize = null;
    // Kestrel's own refusals have empty bodies: its limits sit above the documented ones, which RequestHeadLimits enforces.
    RequestHeadLimits.RaiseKestrelLimits(k.Limits);
});
builder.Services.AddOptions<FileTransferOptions>().Bind(builder.Configuration.GetSection(FileTransferOptions.SectionName));
var settings = builder.Configuration.GetSection(FileTransferOptions.SectionName).Get<FileTransferOptions>() ?? new FileTransferOptions();
Directory.CreateDirectory(settings.DataPath);
// Several nodes on one PostgreSQL database (ConnectionStrings:FileTransfer) share their files, users and sessions.
var sharedDatabase = new SharedDatabase(builder.Configuration.GetConnectionString(SharedDatabase.ConnectionStringName));
var firstRun = new FirstRunAdmin(settings, Console.WriteLine, sharedDatabase.IsConfigured);
builder.Services.AddGrpcPlugins(builder.Configuration).Configure(plugins =>
{
    // Plugin settings name their folders relative to the data folder as {DataDir}.
    foreach (var plugin in plugins.Plugins.Values)
    {
        foreach (var key in plugin.Config.Keys.ToList())
        {
            plugin.Config[key] = plugin.Config[key].Replace("{DataDir}", settings.DataPath, StringComparison.Ordinal);
        }

        // appsettings.json confines every example plugin; one configured as a remote service (Plugins:<name>:Remote)
        // runs elsewhere and is confined where it runs, so the host's default confinement does not apply to it.
        if (plugin.Remote is not null)
        {
            plugin.Sandbox = new();
            continue;
        }

        // So are the folders their sandbox lets them read and write (appsettings.json: each plugin's Sandbox), which
        // may also name one of the plugin's settings as {Config:key}: the storage may write its root, wherever it is.
        string Expand(string path) => plugin.Config.Aggregate(
            path.Replace("{DataDir}", settings.DataPath, StringComparison.Ordinal),
            (p, setting) => p.Replace("{Config:" + setting.Key + "}", setting.Value, StringComparison.Ordinal));
        plugin.Sandbox.Read = [.. plugin.Sandbox.Read.Select(Expand)];
        plugin.Sandbox.Write = [.. plugin.Sandbox.Write.Select(Expand)];
        plugin.Sandbox.Require |= settings.RequireSandbox && plugin.Sandbox.IsDeclared;
    }

    firstRun.Apply(plugins);
    sharedDatabase.Apply(plugins, settings.StoragePlugin, settings.AuthPlugin);
});
// Host callbacks: plugins read stored files, keep durable state under {DataDir}/plugin-state, and log, within their grants.
builder.Services.AddSingleton<GrpcPlugins.Hosting.Callbacks.IHostFileSource, FileTransfer.Host.Callbacks.StorageFileSource>();
builder.Services.AddSingleton<GrpcPlugins.Hosting.Callbacks.IHostEventSink, FileTransfer.Host.Callbacks.MonitorEventSink>();
builder.Services.AddGrpcPluginsHostCallbacks(builder.Configuration, o => o.DataDirectory = Path.Combine(settings.DataPath, "plugin-state"));
// Every error answer is problem JSON: exceptions through ProblemExceptionHandler, and a body that is not the JSON a route
// expects reaches it as an exception too, so it gets a problem answer, not a bare 400.
builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = GrpcPlugins.Management.PluginProblems.Complete);
builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
// The session gate: the auth plugin validates bearer tokens (scheme "Session"), the policies "session" and "admin" gate routes.
builder.Services.AddSessionAuthentication();
// Plugin packages: installed under {DataDir}/plugins, with the settings of the FileTransfer:Packages section.
builder.Services.AddGrpcPluginsManagement(builder.Configuration.GetSection(FileTransferOptions.SectionName + ":Packages")).Configure(o =>
{
    o.PluginsPath = settings.PluginsPath;
    // Refused packages name this host's setting: FileTransfer:Packages:TrustedKeys.
    o.ConfigurationPath = FileTransferOptions.SectionName + ":Packages";
    o.UploadsPath = Path.Combine(settings.DataPath, "plugin-uploads");
    o.ConfigVariables["DataDir"] = settings.DataPath;
    // On the shared database the nodes also share their plugins (GrpcPlugins.Management's cluster mode), each named by
    // FileTransfer:NodeName (default: the machine name; nodes on one machine need names of their own).
    o.Cluster.ConnectionString ??= builder.Configuration.GetConnectionString(SharedDatabase.ConnectionStringName);
    if (builder.Configuration["FileTransfer:NodeName"] is { Length: > 0 } node)
    {
        o.NodeName = node;
    }
});
// Plugin routes under /v1/ext and plugin middleware before and after the session gate (README: Extension plugins).
builder.Services.AddPluginHttp(o =>
{
    o.Gate = FileTransfer.Host.Http.PluginRouteGate.GateAsync;
    o.FailOpen.UnionWith(builder.Configuration.GetSection(FileTransferOptions.SectionName + ":MiddlewareFailOpen").Get<string[]>() ?? []);
});
builder.Services.AddSingleton<PluginSelector>();
builder.Services.AddSingleton<UploadStaging>();
builder.Services.AddSingleton<UploadScanner>();
builder.Services.AddSingleton<TransferTracker>();
if (sharedDatabase.IsConfigured)
{
    // Transfer records of every node in the shared database; a cancel asked on another node is carried out here.
    builder.Services.AddSingleton(new SharedTransfers(
        builder.Configuration.GetConnectionString(SharedDatabase.ConnectionStringName)!,
        builder.Configuration["FileTransfer:NodeName"] ?? $"{Environment.MachineName}-{Environment.ProcessId}"));
    // Resumable uploads staged in the shared database, so any node resumes an upload another started.
    builder.Services.AddSingleton<SharedUploads>();
    // Cancels other nodes ask of this one, and changes of their transfers, heard through LISTEN/NOTIFY.
    builder.Services.AddHostedService<SharedTransferListener>();
    // On a first run of the cluster, the generated admin password is printed by the one node whose password was kept.
    builder.Services.AddSingleton(firstRun);
    builder.Services.AddHostedService<FirstRunConfirmation>();
}

builder.Services.AddSingleton<MonitorQueue>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<MonitorQueue>());
builder.AddFileTransferTelemetry();

var app = builder.Build();
app.UseMiddleware<RequestHeadLimits>();
app.UseMiddleware<RequestIdMiddleware>();
app.UseExceptionHandler();
app.UseMiddleware<ErrorMiddleware>();
// An error status that no one gave a body (none of this host's routes, so far) still gets problem JSON.
app.UseStatusCodePages();
app.UsePluginMiddleware(GrpcPlugins.Http.V1.MiddlewareStage.BeforeSession);
// The dashboard (wwwroot) is served before routing: the JSON 404 fallback below matches every path, and the static
// file middleware serves nothing once an endpoint has matched.
app.UseDashboard();
app.UseRouting();
app.UseAuthentication();
app.UseAuthorization();
app.UseSessionContext();

// A JSON route sent another content type answers 415 (routing alone would fall through to the 404 route below).
var v1 = app.MapGroup("/v1").AnswerUnsupportedMediaType();
v1.MapPublicAuth();
var session = v1.MapGroup(string.Empty).RequireAuthorization(SessionAuthentication.SessionPolicy).AddPluginMiddleware(GrpcPlugins.Http.V1.MiddlewareStage.AfterSession);
session.MapSessionAuth();
session.MapFiles();
session.MapUploads();
session.MapTransfers();
app.MapGrpcPluginsManagement("/v1/plugins").RequireAuthorization(SessionAuthentication.AdminPolicy);
// The cluster's nodes and per-node plugin start/stop (a single node lists itself; per-node routes answer 409 there).
app.MapGrpcPluginsNodes("/v1/nodes").RequireAuthorization(SessionAuthentication.AdminPolicy);
// Each plugin's routes and middleware position, for the dashboard's plugin list.
app.MapPluginExtensions();
app.MapPluginRoutes("/v1/ext");
app.MapPrometheusScrapingEndpoint("/metrics");
app.MapFallback((HttpContext http) => ApiErrors.Problem(
    GrpcPlugins.PluginErrorCode.NotFound,
    $"No API route matches {http.Request.Method} {http.Request.Path}; the routes are listed in examples/FileTransfer.Host/README.md."));

try
{
    app.Run();
}
catch (Exception ex) when (ex is GrpcPlugins.PluginException or Microsoft.Extensions.Options.OptionsValidationException or IOException)
{
    // A plugin that cannot start, settings that do not validate, or a port in use: the reason, once, and a failing exit code.
    Console.Error.WriteLine($"The file-transfer host could not start: {ex.Message}");
    return 1;
}

return 0;

/// <summary>The host's entry point, public so tests can find its assembly.</summary>
public partial class Program;
