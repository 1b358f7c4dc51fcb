var builder = WebApplication.CreateBuilder(args);

// Plugins configured in the "Plugins" section start and stop with the host; packages installed through the
// management API live under PluginManagement:PluginsPath and come back as they were left after a restart.
builder.Services.AddGrpcPlugins(builder.Configuration);
builder.Services.AddGrpcPluginsManagement(builder.Configuration.GetSection("PluginManagement"));

var app = builder.Build();
var adminToken = app.Configuration["AdminToken"];
if (string.IsNullOrEmpty(adminToken))
{
    throw new InvalidOperationException("AdminToken is not set: set it (appsettings.json, or the environment variable AdminToken) to the bearer token that may manage plugins.");
}

// The management routes are open until the host protects them: here, a bearer token from configuration. Use your
// own authentication (AddAuthentication + RequireAuthorization) in a real host.
app.MapGrpcPluginsManagement("/v1/plugins").AddEndpointFilter(async (context, next) =>
    context.HttpContext.Request.Headers.Authorization == $"Bearer {adminToken}"
        ? await next(context)
        : Results.Problem("Send the AdminToken as 'Authorization: Bearer <token>'.", statusCode: StatusCodes.Status401Unauthorized));
app.MapGet("/", () => "GrpcPlugins host: the plugin management API is at /v1/plugins.");

app.Run();
