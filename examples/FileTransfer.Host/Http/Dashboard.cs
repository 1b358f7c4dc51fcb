using Microsoft.Net.Http.Headers;

namespace FileTransfer.Host.Http;

/// <summary>The web dashboard: static HTML, CSS and JavaScript from wwwroot, served at <c>/</c>.</summary>
public static class Dashboard
{
    // The page loads only its own files and talks only to this host; nothing may frame it.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    /// <summary>Serves <c>index.html</c> at <c>/</c> and the dashboard's other files by their paths.</summary>
    /// <param name="app">The application.</param>
    /// <returns>The same application.</returns>
    public static IApplicationBuilder UseDashboard(this IApplicationBuilder app)
    {
        app.UseDefaultFiles();
        return app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = file =>
            {
                var headers = file.Context.Response.Headers;
                // Revalidated on each load, so a new host version never runs with an old script.
                headers.CacheControl = "no-cache";
                headers[HeaderNames.XContentTypeOptions] = "nosniff";
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers["Referrer-Policy"] = "no-referrer";
            },
        });
    }
}
