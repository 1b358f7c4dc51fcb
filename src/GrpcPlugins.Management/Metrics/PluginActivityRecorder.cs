using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace GrpcPlugins.Management.Metrics;

/// <summary>
/// Listens to the host's own metrics (the <c>GrpcPlugins.Hosting</c> meter: each call's duration and gRPC status, each
/// restart and its reason, each plugin's state) and keeps, per plugin and per method, one window a second of the last
/// ten minutes: calls, errors and latencies, from which the dashboard draws calls per second and p50/p99. State changes
/// and restarts are kept as the plugin's health history. Any host with plugin management gets it, with no exporter.
/// </summary>
internal sealed class PluginActivityRecorder : IHostedService, IDisposable
{
    public const string MeterName = "GrpcPlugins.Hosting";
    public static readonly TimeSpan Kept = TimeSpan.FromMinutes(10);
    private const int MaxEvents = 200;

    private readonly ConcurrentDictionary<(string Plugin, string Method), MethodSeries> _methods = new();
    private readonly ConcurrentDictionary<string, PluginHistory> _history = new(StringComparer.OrdinalIgnoreCase);
    private readonly MeterListener _listener = new();
    private readonly TimeProvider _time;
    private ITimer? _stateTimer;

    public PluginActivityRecorder(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && instrument.Name is "grpcplugins.plugin.call.duration" or "grpcplugins.plugin.restarts" or "grpcplugins.plugin.state")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnDuration);
        _listener.SetMeasurementEventCallback<long>(OnRestart);
        _listener.SetMeasurementEventCallback<int>(OnState);
        _listener.Start();
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The state gauge is observed, not pushed: ask for it every second to see each change.
        _stateTimer = _time.CreateTimer(_ => _listener.RecordObservableInstruments(), null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stateTimer?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _stateTimer?.Dispose();
        _listener.Dispose();
    }

    /// <summary>The plugin's calls per method over the last <paramref name="window"/>, one point a second, and its history.</summary>
    public PluginActivity Snapshot(string plugin, TimeSpan window)
    {
        // Observe the states now too, so the history is current whenever it is read, not only at the next tick.
        _listener.RecordObservableInstruments();
        var now = _time.GetUtcNow();
        var from = now.ToUnixTimeSeconds() - (long)Math.Clamp(window.TotalSeconds, 1, Kept.TotalSeconds) + 1;
        var methods = _methods
            .Where(m => string.Equals(m.Key.Plugin, plugin, StringComparison.OrdinalIgnoreCase))
            .Select(m => m.Value.Snapshot(m.Key.Method, from, now.ToUnixTimeSeconds()))
            .OrderBy(m => m.Method, StringComparer.Ordinal)
            .ToList();
        var history = _history.TryGetValue(plugin, out var h) ? h.Events() : [];
        return new PluginActivity(plugin, now, (int)(now.ToUnixTimeSeconds() - from + 1), methods, history);
    }

    private void OnDuration(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? plugin = null, service = null, method = null;
        var status = 0;
        foreach (var tag in tags)
        {
            switch (tag.Key)
            {
                case "grpcplugins.plugin.name": plugin = tag.Value as string; break;
                case "rpc.service": service = tag.Value as string; break;
                case "rpc.method": method = tag.Value as string; break;
                case "rpc.grpc.status_code": status = Convert.ToInt32(tag.Value, System.Globalization.CultureInfo.InvariantCulture); break;
            }
        }

        if (plugin is null)
        {
            return;
        }

        var series = _methods.GetOrAdd((plugin, $"{service}/{method}"), _ => new MethodSeries());
        series.Record(_time.GetUtcNow().ToUnixTimeSeconds(), seconds * 1000, status != 0);
    }

    private void OnRestart(Instrument instrument, long count, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? plugin = null, reason = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "grpcplugins.plugin.name")
            {
                plugin = tag.Value as string;
            }
            else if (tag.Key == "grpcplugins.plugin.restart.reason")
            {
                reason = tag.Value as string;
            }
        }

        if (plugin is not null)
        {
            History(plugin).Add(new PluginEvent(_time.GetUtcNow(), "restart", reason ?? "restarted"));
        }
    }

    private void OnState(Instrument instrument, int value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? plugin = null, current = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "grpcplugins.plugin.name")
            {
                plugin = tag.Value as string;
            }
            else if (tag.Key == "grpcplugins.plugin.state")
            {
                current = tag.Value as string;
            }
        }

        if (plugin is not null && current is not null && value == 1)
        {
            History(plugin).StateSeen(_time.GetUtcNow(), current);
        }
    }

    private PluginHistory History(string plugin) => _history.GetOrAdd(plugin, _ => new PluginHistory());

    /// <summary>A plugin's restarts and state changes, newest last, at most <see cref="MaxEvents"/>.</summary>
    private sealed class PluginHistory
    {
        private readonly Queue<PluginEvent> _events = new();
        private string? _state;

        public void StateSeen(DateTimeOffset at, string state)
        {
            lock (_events)
            {
                if (_state == state)
                {
                    return;
                }

                _state = state;
                AddLocked(new PluginEvent(at, "state", state));
            }
        }

        public void Add(PluginEvent item)
        {
            lock (_events)
            {
                AddLocked(item);
            }
        }

        public IReadOnlyList<PluginEvent> Events()
        {
            lock (_events)
            {
                return [.. _events];
            }
        }

        private void AddLocked(PluginEvent item)
        {
            _events.Enqueue(item);
            while (_events.Count > MaxEvents)
            {
                _events.Dequeue();
            }
        }
    }

    /// <summary>One method's windows, one a second, in a ring of <see cref="Kept"/>.</summary>
    private sealed class MethodSeries
    {
        // Latencies kept per second; past this many a second, each new one replaces a random one (reservoir sampling).
        private const int MaxSamples = 512;
        private readonly Window[] _ring = new Window[(int)Kept.TotalSeconds];
        private long _totalCalls;
        private long _totalErrors;

        public void Record(long second, double milliseconds, bool failed)
        {
            lock (_ring)
            {
                ref var window = ref _ring[second % _ring.Length];
                if (window is null || window.Second != second)
                {
                    window = new Window(second);
                }

                window.Calls++;
                window.Errors += failed ? 1 : 0;
                if (window.Samples.Count < MaxSamples)
                {
                    window.Samples.Add(milliseconds);
                }
                else if (Random.Shared.NextInt64(window.Calls) is var slot && slot < MaxSamples)
                {
                    window.Samples[(int)slot] = milliseconds;
                }

                _totalCalls++;
                _totalErrors += failed ? 1 : 0;
            }
        }

        public MethodActivity Snapshot(string method, long from, long to)
        {
            lock (_ring)
            {
                var points = new List<ActivityPoint>();
                for (var second = from; second <= to; second++)
                {
                    var window = _ring[second % _ring.Length];
                    points.Add(window is not null && window.Second == second
                        ? new ActivityPoint(second, window.Calls, window.Errors, Percentile(window.Samples, 0.5), Percentile(window.Samples, 0.99))
                        : new ActivityPoint(second, 0, 0, null, null));
                }

                return new MethodActivity(method, _totalCalls, _totalErrors, points);
            }
        }

        private static double? Percentile(List<double> samples, double fraction)
        {
            if (samples.Count == 0)
            {
                return null;
            }

            var sorted = samples.Order().ToArray();
            var index = (int)Math.Ceiling(fraction * sorted.Length) - 1;
            return Math.Round(sorted[Math.Clamp(index, 0, sorted.Length - 1)], 3);
        }

        private sealed class Window(long second)
        {
            public long Second { get; } = second;

            public long Calls { get; set; }

            public long Errors { get; set; }

            public List<double> Samples { get; } = [];
        }
    }
}
