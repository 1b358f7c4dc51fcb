using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace FileTransfer.Cli.Internal;

/// <summary>ft send and ft status.</summary>
internal static class TransferCommands
{
    private static readonly JsonSerializerOptions JsonOutput = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    // How often the state is asked for when the event stream broke off before the transfer ended.
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>ft send: has the host send one of its files to another host and follows the transfer's events.</summary>
    /// <returns>The command.</returns>
    public static Command Send()
    {
        var id = new Argument<string>("id") { Description = "The stored file's id on this host (see ft ls)." };
        var to = new Option<string>("--to") { Description = "Where to send it: the other host's base URL, such as http://127.0.0.1:5081.", HelpName = "url", Required = true };
        var toToken = new Option<string?>("--to-token") { Description = "A bearer token valid at the destination. Defaults to the saved session there (ft login --server URL).", HelpName = "token" };
        var protocol = new Option<string?>("--protocol") { Description = "The host's protocol plugin to send with. Defaults to the host's configured one.", HelpName = "name" };
        var detach = new Option<bool>("--detach", "-d") { Description = "Print the transfer's id and return at once instead of following it." };
        var command = new Command("send", "Send a stored file from this host to another, showing its progress.") { id, to, toToken, protocol, detach };
        FtCommands.SetHandler(command, async (parseResult, context, cancellationToken) =>
        {
            var destination = parseResult.GetRequiredValue(to).Trim();
            if (destination.Length == 0)
            {
                throw CliError.Usage("--to is empty: pass the other host's base URL");
            }

            // A URL destination is put in canonical form so it finds the session saved by ft login --server.
            if (Uri.TryCreate(destination, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                destination = Format.ServerAddress(destination, "--to");
            }

            var destinationToken = parseResult.GetValue(toToken);
            if (string.IsNullOrEmpty(destinationToken) && context.Sessions.Find(destination) is not null)
            {
                using var there = context.CreateClient(destination);
                destinationToken = (await there.EnsureFreshTokenAsync(cancellationToken).ConfigureAwait(false)).Token;
            }

            using var client = context.CreateClient();
            var started = await client.StartTransferAsync(
                new TransferBody(parseResult.GetRequiredValue(id), destination, parseResult.GetValue(protocol), string.IsNullOrEmpty(destinationToken) ? null : destinationToken),
                cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(detach))
            {
                context.Out.WriteLine(started.Id);
                return ExitCodes.Success;
            }

            context.Error.WriteLine($"Transfer {started.Id} started; ft status {started.Id} shows it again.");
            var final = await FollowAsync(context, client, started, $"send to {destination}", cancellationToken).ConfigureAwait(false);
            var hint = string.IsNullOrEmpty(destinationToken) ? $" (no token was sent for {destination}: run ft login --server {destination} first, or pass --to-token)" : string.Empty;
            return Finish(context, final, hint);
        });
        return command;
    }

    /// <summary>ft status: shows one transfer, or follows it to its end with --follow.</summary>
    /// <returns>The command.</returns>
    public static Command Status()
    {
        var id = new Argument<string>("id") { Description = "The transfer's id (printed by ft send)." };
        var follow = new Option<bool>("--follow", "-f") { Description = "Follow the transfer with a progress bar until it ends." };
        var json = new Option<bool>("--json") { Description = "Print the transfer as JSON." };
        var command = new Command("status", "Show a transfer's state.") { id, follow, json };
        FtCommands.SetHandler(command, async (parseResult, context, cancellationToken) =>
        {
            using var client = context.CreateClient();
            var state = await client.GetTransferAsync(parseResult.GetRequiredValue(id), cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(follow) && !state.IsFinal)
            {
                state = await FollowAsync(context, client, state, $"send to {state.Destination}", cancellationToken).ConfigureAwait(false);
                if (!parseResult.GetValue(json))
                {
                    return Finish(context, state, hint: string.Empty);
                }
            }

            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(state, JsonOutput));
            }
            else
            {
                var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
                grid.AddRow("Transfer", Markup.Escape(state.Id));
                grid.AddRow("Status", Markup.Escape(state.Status ?? "-"));
                grid.AddRow("Progress", $"{(state.Progress * 100).ToString("0", CultureInfo.InvariantCulture)}% ({Format.Bytes(state.BytesTransferred)} of {Format.Bytes(state.TotalBytes)})");
                grid.AddRow("File", Markup.Escape(state.FileId ?? "-"));
                grid.AddRow("Destination", Markup.Escape(state.Destination ?? "-"));
                grid.AddRow("Started", Format.Time(state.StartedAt));
                if (!string.IsNullOrEmpty(state.Error))
                {
                    grid.AddRow("Error", Markup.Escape(state.Error));
                }

                context.Out.Write(grid);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static int Finish(FtContext context, TransferState final, string hint)
    {
        switch (final.Status)
        {
            case "completed":
                context.Out.WriteLine($"Sent {final.FileId} to {final.Destination} ({Format.Bytes(final.TotalBytes)}); transfer {final.Id} completed.");
                return ExitCodes.Success;
            case "cancelled":
                throw new CliError($"transfer {final.Id} was cancelled");
            default:
                var error = string.IsNullOrEmpty(final.Error) ? "the host gave no reason" : final.Error.TrimEnd('.');
                throw new CliError($"transfer {final.Id} failed: {error}{hint}");
        }
    }

    // Follows the transfer's event stream with a bar until a final state; polls if the stream ends or breaks before that.
    private static async Task<TransferState> FollowAsync(FtContext context, FtApiClient client, TransferState start, string description, CancellationToken cancellationToken)
    {
        if (start.IsFinal)
        {
            return start;
        }

        try
        {
            return await ProgressUi.RunAsync(context, description, start.TotalBytes > 0 ? start.TotalBytes : null, async report =>
            {
                var last = start;
                report(last.BytesTransferred, last.TotalBytes > 0 ? last.TotalBytes : null);
                try
                {
                    await foreach (var state in client.FollowTransferAsync(start.Id, cancellationToken).ConfigureAwait(false))
                    {
                        last = state;
                        report(state.BytesTransferred, state.TotalBytes > 0 ? state.TotalBytes : null);
                        if (state.IsFinal)
                        {
                            return state;
                        }
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
                {
                    // The stream broke (a proxy timeout, a restart); the transfer's state is still one GET away.
                }

                while (!last.IsFinal)
                {
                    await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
                    last = await client.GetTransferAsync(start.Id, cancellationToken).ConfigureAwait(false);
                    report(last.BytesTransferred, last.TotalBytes > 0 ? last.TotalBytes : null);
                }

                return last;
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C stops following, not the transfer, which the host carries on with.
            throw new CliError($"stopped following; transfer {start.Id} goes on at the host: ft status {start.Id} --follow", ExitCodes.Cancelled);
        }
    }
}
