using Spectre.Console;

namespace FileTransfer.Cli.Internal;

/// <summary>
/// Shows one Spectre.Console progress bar on standard error while a file moves. On a terminal it redraws in place;
/// when standard error is a file or pipe Spectre prints a plain percentage line now and then; with --quiet, nothing.
/// </summary>
internal static class ProgressUi
{
    /// <summary>Runs work while a bar shows what it reports.</summary>
    /// <typeparam name="T">What the work returns.</typeparam>
    /// <param name="context">Decides the console and whether to show anything.</param>
    /// <param name="description">The bar's label; plain text, not markup.</param>
    /// <param name="total">The byte count at 100 %, or null when unknown until the work reports it.</param>
    /// <param name="work">The work; it calls the given report with the bytes done and, when it learns it, the total.</param>
    /// <returns>What the work returned.</returns>
    public static async Task<T> RunAsync<T>(FtContext context, string description, long? total, Func<Action<long, long?>, Task<T>> work)
    {
        if (context.Quiet)
        {
            return await work(static (_, _) => { }).ConfigureAwait(false);
        }

        return await context.Error.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn(),
                new PercentageColumn(),
                new DownloadedColumn(),
                new TransferSpeedColumn(),
                new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask(Markup.Escape(description), maxValue: Math.Max(1, total ?? 1));
                task.IsIndeterminate = total is null;
                var result = await work((done, newTotal) =>
                {
                    if (newTotal is > 0 && newTotal.Value != (long)task.MaxValue)
                    {
                        task.MaxValue = newTotal.Value;
                        task.IsIndeterminate = false;
                    }

                    task.Value = Math.Min(done, task.MaxValue);
                }).ConfigureAwait(false);

                if (task.IsIndeterminate)
                {
                    // An upload from a pipe learns its size only at the end.
                    task.IsIndeterminate = false;
                    task.MaxValue = Math.Max(1, task.Value);
                }

                task.StopTask();
                return result;
            }).ConfigureAwait(false);
    }
}
