using System.Runtime.ExceptionServices;
using Grpc.Core;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The invoker of <see cref="PluginClient.CreateClient{TClient}"/>: routes each call of any generated client through the
/// plugin's supervision (<see cref="PluginClient.CallAsync{T}(Func{PluginInstance, CancellationToken, Task{T}}, CancellationToken, string?)"/>),
/// so it gets the bulkhead, fail-fast or waiting while the plugin is down, drain on replace and <see cref="PluginException"/>
/// errors; the instance's own invoker (<see cref="PluginCallInterceptor"/>) adds context, deadlines and telemetry.
/// </summary>
internal sealed class SupervisedCallInvoker(PluginClient plugin) : CallInvoker
{
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        using var call = AsyncUnaryCall(method, host, options, request);
        return call.ResponseAsync.GetAwaiter().GetResult();
    }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        var call = new UnaryCall<TResponse>(options.CancellationToken);
        var idempotent = method.Type == MethodType.Unary && plugin.Options.IsIdempotent(method.FullName) ? method.FullName : null;
        var response = plugin.CallAsync(
            async (PluginInstance instance, CancellationToken ct) =>
            {
                try
                {
                    var attempt = instance.Invoker.AsyncUnaryCall(method, host, options.WithCancellationToken(ct), request);
                    call.Attempt = attempt;
                    return await attempt.ResponseAsync.ConfigureAwait(false);
                }
                catch (ObjectDisposedException ex)
                {
                    // The instance was torn down (crashed, or stopped) between being chosen and being called.
                    throw await instance.TranslateStreamFailureAsync(ex).ConfigureAwait(false);
                }
            },
            call.Token,
            idempotent);
        call.Track(response);
        return new AsyncUnaryCall<TResponse>(response, Observed(call.HeadersAsync(response)), call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options)
    {
        var call = new StreamingCall<TRequest, TResponse>(plugin, options.CancellationToken, (invoker, ct) =>
        {
            var inner = invoker.AsyncClientStreamingCall(method, host, options.WithCancellationToken(ct));
            return new Started<TRequest, TResponse>(inner.RequestStream, null, inner.ResponseAsync, inner.ResponseHeadersAsync, inner.GetStatus, inner.GetTrailers, inner.Dispose);
        });
        return new AsyncClientStreamingCall<TRequest, TResponse>(call.RequestStream, Observed(call.ResponseAsync()), Observed(call.HeadersAsync()), call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        var call = new StreamingCall<TRequest, TResponse>(plugin, options.CancellationToken, (invoker, ct) =>
        {
            var inner = invoker.AsyncServerStreamingCall(method, host, options.WithCancellationToken(ct), request);
            return new Started<TRequest, TResponse>(null, inner.ResponseStream, null, inner.ResponseHeadersAsync, inner.GetStatus, inner.GetTrailers, inner.Dispose);
        });
        return new AsyncServerStreamingCall<TResponse>(call.ResponseStream, Observed(call.HeadersAsync()), call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options)
    {
        var call = new StreamingCall<TRequest, TResponse>(plugin, options.CancellationToken, (invoker, ct) =>
        {
            var inner = invoker.AsyncDuplexStreamingCall(method, host, options.WithCancellationToken(ct));
            return new Started<TRequest, TResponse>(inner.RequestStream, inner.ResponseStream, null, inner.ResponseHeadersAsync, inner.GetStatus, inner.GetTrailers, inner.Dispose);
        });
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(call.RequestStream, call.ResponseStream, Observed(call.HeadersAsync()), call.GetStatus, call.GetTrailers, call.Dispose);
    }

    // Headers are rarely read, and a response may be abandoned after a failed write: a failure, which the caller meets
    // elsewhere too, must not also go unobserved.
    private static Task<T> Observed<T>(Task<T> task)
    {
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    // The status a call that never reached the plugin (refused by the bulkhead, or the plugin was down) reports.
    private static Status StatusOf(Exception? failure) => failure switch
    {
        PluginException plugin => PluginErrors.ToRpcException(plugin).Status,
        OperationCanceledException => new Status(StatusCode.Cancelled, "The caller cancelled the call."),
        _ => throw new InvalidOperationException("The call has not reached the plugin yet; its status is known once it has ended."),
    };

    private static void Rethrow(Exception original, Exception translated)
    {
        if (ReferenceEquals(original, translated))
        {
            ExceptionDispatchInfo.Throw(original);
        }

        throw translated;
    }

    /// <summary>A unary call: its attempts run inside the plugin's call method, which may try an idempotent one again.</summary>
    private sealed class UnaryCall<TResponse>(CancellationToken callerToken)
    {
        private readonly CallCancellation _cancel = new(callerToken);
        private Task? _response;

        public CancellationToken Token => _cancel.Token;

        public AsyncUnaryCall<TResponse>? Attempt { get; set; }

        public void Track(Task response)
        {
            _response = response;
            response.ContinueWith(_ => _cancel.Complete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        // The headers of the attempt that answered, once it has.
        public async Task<Metadata> HeadersAsync(Task<TResponse> response)
        {
            await ((Task)response).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            if (Attempt is not { } attempt)
            {
                await response.ConfigureAwait(false);
                return [];
            }

            try
            {
                return await attempt.ResponseHeadersAsync.ConfigureAwait(false);
            }
            catch (RpcException)
            {
                // The call failed before the plugin sent headers; the response already said why.
                await response.ConfigureAwait(false);
                return [];
            }
        }

        public Status GetStatus() => Attempt is { } attempt
            ? attempt.GetStatus()
            : StatusOf(_response?.Exception?.InnerException ?? (_response?.IsCanceled == true ? new OperationCanceledException() : null));

        public Metadata GetTrailers() => Attempt?.GetTrailers() ?? [];

        public void Dispose()
        {
            _cancel.Cancel();
            Attempt?.Dispose();
        }
    }

    /// <summary>The parts of a streaming call that has reached the plugin, and the instance that serves it.</summary>
    private sealed class Started<TRequest, TResponse>(
        IClientStreamWriter<TRequest>? requestStream,
        IAsyncStreamReader<TResponse>? responseStream,
        Task<TResponse>? response,
        Task<Metadata> headers,
        Func<Status> getStatus,
        Func<Metadata> getTrailers,
        Action dispose) : ICallSlotHolder
    {
        private IDisposable? _slot;

        public PluginInstance Instance { get; set; } = null!;

        public IClientStreamWriter<TRequest>? RequestStream => requestStream;

        public IAsyncStreamReader<TResponse>? ResponseStream => responseStream;

        public Task<TResponse>? Response => response;

        public Task<Metadata> Headers => headers;

        public Status GetStatus() => getStatus();

        public Metadata GetTrailers() => getTrailers();

        public void Dispose() => dispose();

        public void HoldUntilDisposed(IDisposable slot) => _slot = slot;

        public void Release() => Interlocked.Exchange(ref _slot, null)?.Dispose();

        // What the caller should see of a failure on this call: the call's own outcome when it has one.
        public async Task<Exception> TranslateAsync(Exception failure)
        {
            if (failure is not RpcException)
            {
                try
                {
                    if (GetStatus() is { StatusCode: not StatusCode.OK } status)
                    {
                        failure = new RpcException(status, GetTrailers());
                    }
                }
                catch (InvalidOperationException)
                {
                    // The call has not ended: the failure stands as it is.
                }
            }

            return await Instance.TranslateStreamFailureAsync(failure).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A streaming call: started, after the bulkhead and the plugin's state allow it, on the instance that runs then. It
    /// holds its slot, and counts as in flight (so a replace drains it), until its response stream ends or fails, its
    /// response arrives, or the caller disposes of it.
    /// </summary>
    private sealed class StreamingCall<TRequest, TResponse>
    {
        private readonly CallCancellation _cancel;
        private readonly Task<Started<TRequest, TResponse>> _started;
        private int _disposed;

        public StreamingCall(PluginClient plugin, CancellationToken callerToken, Func<CallInvoker, CancellationToken, Started<TRequest, TResponse>> start)
        {
            _cancel = new CallCancellation(callerToken);
            _started = plugin.CallAsync(
                async (PluginInstance instance, CancellationToken ct) =>
                {
                    Started<TRequest, TResponse> started;
                    try
                    {
                        started = start(instance.Invoker, ct);
                    }
                    catch (ObjectDisposedException ex)
                    {
                        // The instance was torn down (crashed, or stopped) between being chosen and being called.
                        throw await instance.TranslateStreamFailureAsync(ex).ConfigureAwait(false);
                    }

                    started.Instance = instance;
                    return started;
                },
                _cancel.Token);
            _started.ContinueWith(OnStarted, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            RequestStream = new Writer(this);
            ResponseStream = new Reader(this);
        }

        public IClientStreamWriter<TRequest> RequestStream { get; }

        public IAsyncStreamReader<TResponse> ResponseStream { get; }

        public async Task<TResponse> ResponseAsync()
        {
            var started = await _started.ConfigureAwait(false);
            try
            {
                return await started.Response!.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Rethrow(ex, await started.TranslateAsync(ex).ConfigureAwait(false));
                throw;
            }
            finally
            {
                End(started);
            }
        }

        public async Task<Metadata> HeadersAsync()
        {
            var started = await _started.ConfigureAwait(false);
            try
            {
                return await started.Headers.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Rethrow(ex, await started.TranslateAsync(ex).ConfigureAwait(false));
                throw;
            }
        }

        public Status GetStatus() => _started.IsCompletedSuccessfully
            ? _started.Result.GetStatus()
            : StatusOf(_started.Exception?.InnerException ?? (_started.IsCanceled ? new OperationCanceledException() : null));

        public Metadata GetTrailers() => _started.IsCompletedSuccessfully ? _started.Result.GetTrailers() : [];

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            _cancel.Cancel();
            if (_started.IsCompletedSuccessfully)
            {
                _started.Result.Dispose();
                End(_started.Result);
            }
        }

        private void OnStarted(Task<Started<TRequest, TResponse>> task)
        {
            if (!task.IsCompletedSuccessfully)
            {
                // The caller sees why through the call's streams or response; observed here for when it reads neither.
                _ = task.Exception;
                _cancel.Complete();
                return;
            }

            var started = task.Result;
            if (Volatile.Read(ref _disposed) == 1)
            {
                // Disposed while it queued for the bulkhead: it ends as soon as it starts.
                started.Dispose();
                End(started);
            }
            else
            {
                started.Response?.ContinueWith(_ => End(started), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        private void End(Started<TRequest, TResponse> started)
        {
            started.Release();
            _cancel.Complete();
        }

        private sealed class Reader(StreamingCall<TRequest, TResponse> call) : IAsyncStreamReader<TResponse>
        {
            private TResponse? _current;

            public TResponse Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true.");

            public async Task<bool> MoveNext(CancellationToken cancellationToken)
            {
                var started = await call._started.ConfigureAwait(false);
                try
                {
                    if (await started.ResponseStream!.MoveNext(cancellationToken).ConfigureAwait(false))
                    {
                        _current = started.ResponseStream.Current;
                        return true;
                    }

                    call.End(started);
                    return false;
                }
                catch (Exception ex)
                {
                    call.End(started);
                    Rethrow(ex, await started.TranslateAsync(ex).ConfigureAwait(false));
                    throw;
                }
            }
        }

        private sealed class Writer(StreamingCall<TRequest, TResponse> call) : IClientStreamWriter<TRequest>
        {
            public WriteOptions? WriteOptions { get; set; }

            public Task WriteAsync(TRequest message) => WriteAsync(message, CancellationToken.None);

            public async Task WriteAsync(TRequest message, CancellationToken cancellationToken)
            {
                var started = await call._started.ConfigureAwait(false);
                try
                {
                    if (WriteOptions is { } writeOptions)
                    {
                        started.RequestStream!.WriteOptions = writeOptions;
                    }

                    await started.RequestStream!.WriteAsync(message, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    Rethrow(ex, await started.TranslateAsync(ex).ConfigureAwait(false));
                    throw;
                }
            }

            public async Task CompleteAsync()
            {
                var started = await call._started.ConfigureAwait(false);
                try
                {
                    await started.RequestStream!.CompleteAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    Rethrow(ex, await started.TranslateAsync(ex).ConfigureAwait(false));
                    throw;
                }
            }
        }
    }

    /// <summary>
    /// A call's own cancellation, linked to the caller's token so that disposing the call cancels it too. Its link to
    /// the caller's token is released once the call has ended, so a long-lived caller token does not gather them.
    /// </summary>
    private sealed class CallCancellation
    {
        private readonly CancellationTokenSource _source;
        private readonly Lock _lock = new();
        private bool _cancelling;
        private bool _done;

        public CallCancellation(CancellationToken callerToken)
        {
            _source = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
            Token = _source.Token;
        }

        public CancellationToken Token { get; }

        public void Cancel()
        {
            lock (_lock)
            {
                if (_done || _cancelling)
                {
                    return;
                }

                _cancelling = true;
            }

            // Outside the lock: the call's cancellation callbacks may end the call, and so call Complete.
            _source.Cancel();
            bool done;
            lock (_lock)
            {
                _cancelling = false;
                done = _done;
            }

            if (done)
            {
                _source.Dispose();
            }
        }

        public void Complete()
        {
            lock (_lock)
            {
                if (_done)
                {
                    return;
                }

                _done = true;
                if (_cancelling)
                {
                    // Cancel disposes it when it returns.
                    return;
                }
            }

            _source.Dispose();
        }
    }
}
