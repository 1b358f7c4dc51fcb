using Microsoft.AspNetCore.Http.Metadata;

namespace FileTransfer.Host.Http;

/// <summary>
/// Makes a route that reads a JSON body answer a request with another content type with 415, not 404. Routing turns
/// such a request away from the route (by its accepted content types) and the catch-all 404 route takes it; without
/// that metadata the route is chosen, its body binding refuses the content type, and ErrorMiddleware answers 415.
/// </summary>
public static class JsonBodies
{
    /// <summary>Removes the accepted-content-type metadata from the builder's endpoints, so a wrong content type is answered with 415.</summary>
    /// <typeparam name="TBuilder">The builder's type.</typeparam>
    /// <param name="builder">The routes, such as a group.</param>
    /// <returns>The builder, for chaining.</returns>
    public static TBuilder AnswerUnsupportedMediaType<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Finally(endpoint =>
        {
            foreach (var accepts in endpoint.Metadata.OfType<IAcceptsMetadata>().ToList())
            {
                endpoint.Metadata.Remove(accepts);
            }
        });
        return builder;
    }
}
