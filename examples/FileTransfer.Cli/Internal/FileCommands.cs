using System.CommandLine;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Spectre.Console;

namespace FileTransfer.Cli.Internal;

/// <summary>ft put, get, ls and rm.</summary>
internal static class FileCommands
{
    private static readonly JsonSerializerOptions JsonOutput = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    // Only the common cases; the host stores anything else as application/octet-stream, and --type overrides.
    private static readonly Dictionary<string, string> MimeTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = "text/plain",
        [".md"] = "text/markdown",
        [".csv"] = "text/csv",
        [".html"] = "text/html",
        [".json"] = "application/json",
        [".xml"] = "application/xml",
        [".pdf"] = "application/pdf",
        [".zip"] = "application/zip",
        [".gz"] = "application/gzip",
        [".tar"] = "application/x-tar",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif",
        [".svg"] = "image/svg+xml",
        [".mp4"] = "video/mp4",
        [".mp3"] = "audio/mpeg",
    };

    /// <summary>ft put: uploads a file (or standard input) with a progress bar.</summary>
    /// <returns>The command.</returns>
    public static Command Put()
    {
        var path = new Argument<string>("path") { Description = "The file to upload, or - for standard input (then --name is needed)." };
        var name = new Option<string?>("--name", "-n") { Description = "The name to store it under. Defaults to the file's name.", HelpName = "name" };
        var type = new Option<string?>("--type", "-t") { Description = "The media type. Defaults to a guess from the extension.", HelpName = "mime" };
        var json = new Option<bool>("--json") { Description = "Print the stored file as JSON." };
        var command = new Command("put", "Upload a file to the host.") { path, name, type, json };
        FtCommands.SetHandler(command, async (parseResult, context, cancellationToken) =>
        {
            var source = parseResult.GetRequiredValue(path);
            var fromStdin = source == "-";
            var storedName = parseResult.GetValue(name) is { Length: > 0 } given ? given : fromStdin ? null : Path.GetFileName(source);
            if (string.IsNullOrEmpty(storedName))
            {
                throw CliError.Usage(fromStdin ? "put - reads standard input, which has no name: pass --name NAME" : $"'{source}' names no file");
            }

            long? length = null;
            if (!fromStdin)
            {
                var info = new FileInfo(source);
                length = info.Exists ? info.Length : throw new CliError($"no such file: {source}");
            }

            var mimeType = parseResult.GetValue(type) ?? (MimeTypes.TryGetValue(Path.GetExtension(storedName), out var guessed) ? guessed : null);
            using var client = context.CreateClient();
            var stored = await ProgressUi.RunAsync(context, $"put {storedName}", length, async report =>
            {
                var attempts = 0;
                return await client.UploadAsync(
                    storedName,
                    () =>
                    {
                        // Called again only when the host asked for a fresh token after reading the body; a pipe cannot be read twice.
                        if (attempts++ > 0 && fromStdin)
                        {
                            throw new CliError("the session expired during the upload from standard input; run ft login and try again", ExitCodes.Auth);
                        }

                        var input = fromStdin ? Console.OpenStandardInput() : OpenRead(source);
                        var content = new StreamContent(new ProgressStream(input, done => report(done, length)), 1024 * 1024);
                        content.Headers.ContentLength = length;
                        if (mimeType is not null)
                        {
                            content.Headers.ContentType = MediaTypeHeaderValue.TryParse(mimeType, out var header)
                                ? header
                                : throw CliError.Usage($"--type '{mimeType}' is not a media type such as text/plain");
                        }

                        return content;
                    },
                    cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);

            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(stored, JsonOutput));
            }
            else
            {
                context.Out.WriteLine($"Stored {stored.Name} ({Format.Bytes(stored.Size)}) as {stored.Id}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>ft get: downloads a file through a temporary file, checks its SHA-256 against the ETag, then renames it.</summary>
    /// <returns>The command.</returns>
    public static Command Get()
    {
        var id = new Argument<string>("id") { Description = "The stored file's id (see ft ls)." };
        var output = new Option<string?>("--output", "-o") { Description = "Where to save it: a file, a folder, or - for standard output. Defaults to the stored name in the current folder.", HelpName = "path" };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite the output file if it exists." };
        var command = new Command("get", "Download a file from the host.") { id, output, force };
        FtCommands.SetHandler(command, async (parseResult, context, cancellationToken) =>
        {
            var fileId = parseResult.GetRequiredValue(id);
            using var client = context.CreateClient();

            // Asked before any bar is drawn, so a missing id is one clean line.
            using var response = await client.OpenDownloadAsync(fileId, cancellationToken).ConfigureAwait(false);
            var length = response.Content.Headers.ContentLength;
            var expected = ExpectedSha256(response);
            var storedName = SafeFileName(response.Content.Headers.ContentDisposition, fileId);
            var target = parseResult.GetValue(output);
            if (target == "-")
            {
                await using var stdout = Console.OpenStandardOutput();
                var (actual, _) = await CopyAsync(context, response, stdout, $"get {storedName}", length, cancellationToken).ConfigureAwait(false);
                Verify(fileId, expected, actual, saved: "the bytes already written to standard output do not match");
                return ExitCodes.Success;
            }

            var path = Path.GetFullPath(target is { Length: > 0 } ? (Directory.Exists(target) ? Path.Combine(target, storedName) : target) : storedName);
            var overwrite = parseResult.GetValue(force);
            if (File.Exists(path) && !overwrite)
            {
                throw new CliError($"{path} already exists; pass --force to overwrite it or -o to save elsewhere");
            }

            var folder = Path.GetDirectoryName(path)!;
            if (!Directory.Exists(folder))
            {
                throw new CliError($"the folder {folder} does not exist");
            }

            // A partial download never takes the final name: bytes go to a temp file beside it, renamed once checked.
            var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.ft-part");
            try
            {
                string actual;
                long bytes;
                await using (var file = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous }))
                {
                    (actual, bytes) = await CopyAsync(context, response, file, $"get {storedName}", length, cancellationToken).ConfigureAwait(false);
                    await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                    file.Flush(flushToDisk: true);
                }

                Verify(fileId, expected, actual, saved: "nothing was saved");
                File.Move(temp, path, overwrite);
                context.Out.WriteLine($"Saved {fileId} to {path} ({Format.Bytes(bytes)}, SHA-256 {(expected is null ? "not checked: the host sent no ETag" : "verified")})");
                return ExitCodes.Success;
            }
            finally
            {
                if (File.Exists(temp))
                {
                    File.Delete(temp);
                }
            }
        });
        return command;
    }

    /// <summary>ft ls: lists stored files as a table or JSON, following every page.</summary>
    /// <returns>The command.</returns>
    public static Command List()
    {
        var prefix = new Argument<string?>("prefix") { Description = "Only names that start with this.", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int?>("--limit") { Description = "List at most this many files.", HelpName = "n" };
        var json = new Option<bool>("--json") { Description = "Print the files as a JSON array." };
        var command = new Command("ls", "List the stored files.") { prefix, limit, json };
        command.Aliases.Add("list");
        FtCommands.SetHandler(command, async (parseResult, context, cancellationToken) =>
        {
            var max = parseResult.GetValue(limit);
            if (max is <= 0)
            {
                throw CliError.Usage("--limit must be at least 1");
            }

            using var client = context.CreateClient();
            var items = new List<FileItem>();
            string? pageToken = null;
            do
            {
                var page = await client.ListAsync(parseResult.GetValue(prefix), max is { } m ? Math.Min(m - items.Count, 1000) : null, pageToken, cancellationToken).ConfigureAwait(false);
                items.AddRange(page.Items ?? []);
                pageToken = page.NextPageToken;
            }
            while (!string.IsNullOrEmpty(pageToken) && (max is null || items.Count < max));

            if (max is { } cap && items.Count > cap)
            {
                items.RemoveRange(cap, items.Count - cap);
            }

            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(items, JsonOutput));
                return ExitCodes.Success;
            }

            if (items.Count == 0)
            {
                context.Out.WriteLine(parseResult.GetValue(prefix) is { Length: > 0 } p ? $"No files whose name starts with '{p}'." : "No files.");
                return ExitCodes.Success;
            }

            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("ID")
                .AddColumn("Name")
                .AddColumn(new TableColumn("Size").RightAligned())
                .AddColumn("Type")
                .AddColumn("Created")
                .AddColumn("SHA-256");
            foreach (var item in items)
            {
                table.AddRow(
                    Markup.Escape(item.Id),
                    Markup.Escape(item.Name ?? string.Empty),
                    Format.Bytes(item.Size),
                    Markup.Escape(item.MimeType ?? "-"),
                    Format.Time(item.CreatedAt),
                    Format.ShortHash(item.Sha256));
            }

            var more = !string.IsNullOrEmpty(pageToken) ? " (more with a higher --limit)" : string.Empty;
            table.Caption($"{items.Count} file{(items.Count == 1 ? string.Empty : "s")}, {Format.Bytes(items.Sum(i => i.Size))}{more}");
            context.Out.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>ft rm: deletes stored files.</summary>
    /// <returns>The command.</returns>
    public static Command Remove()
    {
        var ids = new Argument<string[]>("id") { Description = "The ids of the files to delete.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Delete stored files.") { ids };
        FtCommands.SetHandler(command, async (parseResult, context, cancellationToken) =>
        {
            using var client = context.CreateClient();
            var exitCode = ExitCodes.Success;
            foreach (var fileId in parseResult.GetRequiredValue(ids))
            {
                try
                {
                    await client.DeleteAsync(fileId, cancellationToken).ConfigureAwait(false);
                    context.Out.WriteLine($"Removed {fileId}");
                }
                catch (ProblemError ex) when (ex.Status != 401)
                {
                    // One line per id that failed; the others are still removed.
                    await Console.Error.WriteLineAsync("ft: " + ex.DisplayText).ConfigureAwait(false);
                    exitCode = exitCode == ExitCodes.Success ? ex.ExitCode : exitCode;
                }
            }

            return exitCode;
        });
        return command;
    }

    private static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.Asynchronous | FileOptions.SequentialScan });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliError($"cannot read {path}: {ex.Message}");
        }
    }

    private static async Task<(string Sha256, long Bytes)> CopyAsync(FtContext context, HttpResponseMessage response, Stream destination, string description, long? length, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var bytes = await ProgressUi.RunAsync(context, description, length, async report =>
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using var counted = new ProgressStream(destination, done => report(done, length), hash, leaveOpen: true);
            await body.CopyToAsync(counted, 1024 * 1024, cancellationToken).ConfigureAwait(false);
            return counted.BytesTransferred;
        }).ConfigureAwait(false);
        if (length is { } expected && bytes != expected)
        {
            throw new CliError($"the download ended after {bytes} of {expected} bytes; try again");
        }

        return (Convert.ToHexStringLower(hash.GetHashAndReset()), bytes);
    }

    private static string? ExpectedSha256(HttpResponseMessage response)
    {
        var tag = response.Headers.ETag?.Tag?.Trim('"');
        return tag is { Length: 64 } && tag.All(char.IsAsciiHexDigit) ? tag.ToLowerInvariant() : null;
    }

    private static void Verify(string fileId, string? expected, string actual, string saved)
    {
        if (expected is not null && !string.Equals(expected, actual, StringComparison.Ordinal))
        {
            throw new CliError($"the download of {fileId} is corrupt: its SHA-256 is {actual} but the host's ETag says {expected}; {saved}");
        }
    }

    // The host's name for the file, cut to a plain file name so it cannot escape the output folder.
    private static string SafeFileName(ContentDispositionHeaderValue? disposition, string fallback)
    {
        var name = disposition?.FileNameStar ?? disposition?.FileName?.Trim('"');
        name = name is null ? null : Path.GetFileName(name.Replace('\\', '/'));
        return string.IsNullOrWhiteSpace(name) || name is "." or ".." || name.Any(char.IsControl) ? fallback : name;
    }
}
