using Microsoft.Extensions.Options;

namespace GrpcPlugins.Hosting.Internal;

internal sealed class GrpcPluginsOptionsValidator : IValidateOptions<GrpcPluginsOptions>
{
    public ValidateOptionsResult Validate(string? name, GrpcPluginsOptions options)
    {
        var problems = options.Plugins.Values.SelectMany(p => p.Validate()).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
