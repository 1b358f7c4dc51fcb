using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Sdk.Internal.Settings;

/// <summary>
/// Checks the data annotations (<see cref="RequiredAttribute"/>, <see cref="RangeAttribute"/>, ...) on a settings
/// type's public properties, naming each failure by its config key (<see cref="ConfigurationKeyNameAttribute"/>, else
/// the property's name) and the value the host sent. Trim- and AOT-safe: properties are kept by the type's annotation.
/// </summary>
internal sealed class AnnotatedSettingsValidator<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] TSettings>(InitSettings init)
    : IValidateOptions<TSettings>
    where TSettings : class
{
    private static readonly (PropertyInfo Property, string Key, ValidationAttribute[] Rules)[] Properties =
        typeof(TSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .Select(p => (p, p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? p.Name, p.GetCustomAttributes<ValidationAttribute>(inherit: true).ToArray()))
            .Where(p => p.Item3.Length > 0)
            .ToArray();

    public ValidateOptionsResult Validate(string? name, TSettings options)
    {
        var failures = new List<string>();
        foreach (var (property, key, rules) in Properties)
        {
            var value = property.GetValue(options);
            var context = new ValidationContext(options, key, null, null) { MemberName = property.Name };
            foreach (var rule in rules)
            {
                if (rule.GetValidationResult(value, context) is { ErrorMessage: { } message })
                {
                    failures.Add(init.Raw(key) is { } raw
                        ? $"The '{key}' setting is '{raw}', which is not valid: {message.TrimEnd('.')}."
                        : $"The '{key}' setting is missing: {message.TrimEnd('.')}.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
