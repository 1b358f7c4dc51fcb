using System.Net.Sockets;
using GrpcPlugins;
using Npgsql;

namespace PostgresStorage.Internal;

/// <summary>Turns a failure to reach PostgreSQL into the typed error a host answers as 503.</summary>
internal static class DatabaseErrors
{
    /// <summary>Whether <paramref name="exception"/> says the database could not be reached or went away, rather than a fault of the request.</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        NpgsqlException { IsTransient: true } => true,
        NpgsqlException { InnerException: IOException or SocketException or TimeoutException } => true,
        PostgresException { SqlState: var state } => state.StartsWith("57P", StringComparison.Ordinal) || state.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException => exception.Message.Contains("broken", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    public static PluginException Unavailable(Exception exception) => new(
        PluginErrorCode.Unavailable,
        $"PostgreSQL could not be reached or closed the connection ({exception.Message}); nothing was changed by this call. Retry once the database is back.",
        exception);
}
