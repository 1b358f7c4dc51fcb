using Microsoft.Extensions.Options;

namespace ContentScanner.Internal;

/// <summary>
/// Checks what data annotations cannot: that each entry of <c>refused_media_types</c> is a <c>type/subtype</c>. The SDK
/// runs it at Init, after binding, and refuses the Init with its message.
/// </summary>
internal sealed class ContentScannerSettingsValidator : IValidateOptions<ContentScannerSettings>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ContentScannerSettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var invalid = ScanRules.Entries(options.RefusedMediaTypes).Where(e => !ScanRules.IsMediaType(e)).Select(e => $"'{e}'").ToList();
        return invalid.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"The '{ContentScannerSettings.RefusedMediaTypesKey}' setting lists {string.Join(", ", invalid)}, which {(invalid.Count == 1 ? "is not a media type" : "are not media types")}: "
                + "list types such as 'application/x-msdownload,application/x-dosexec', separated by commas.");
    }
}
