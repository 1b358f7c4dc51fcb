using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace GrpcPlugins.Examples.QuotaMiddleware;

/// <summary>
/// The quota plugin's settings, bound from the host's Init config and validated by the SDK (Program.cs:
/// <c>p.AddSettings&lt;QuotaSettings&gt;().Bind(p.Settings)</c>); a value that is not a whole number of 0 or more fails
/// Init naming the key and the value.
/// </summary>
public sealed class QuotaSettings
{
    /// <summary>Requests per user and minute before 429; 0 turns the limit off. Config <c>requests_per_minute</c>, defaults to 0.</summary>
    [ConfigurationKeyName("requests_per_minute")]
    [Range(0d, double.MaxValue, ErrorMessage = "The field {0} must be 0 (no limit) or a number of requests")]
    public long RequestsPerMinute { get; set; }

    /// <summary>Bytes each user may upload before 413; 0 turns the quota off. Config <c>upload_quota_bytes</c>, defaults to 0.</summary>
    [ConfigurationKeyName("upload_quota_bytes")]
    [Range(0d, double.MaxValue, ErrorMessage = "The field {0} must be 0 (no quota) or a number of bytes")]
    public long UploadQuotaBytes { get; set; }
}
