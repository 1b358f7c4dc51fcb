namespace GrpcPlugins.TestSupport;

/// <summary>The tests that share one private PostgreSQL server per test assembly (<see cref="PostgresServer"/>).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    /// <summary>The collection's name, for <c>[Collection(PostgresCollection.Name)]</c>.</summary>
    public const string Name = "PostgreSQL";
}
