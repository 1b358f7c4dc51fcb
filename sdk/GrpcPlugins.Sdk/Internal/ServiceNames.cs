using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Grpc.Core;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// The fully-qualified name of the service a generated gRPC base class serves, learnt the way gRPC's own server binds
/// it: its generated <c>BindService(ServiceBinderBase, TService)</c> is called with no implementation and a binder that
/// only reads the name off the methods it is given. Reading the generated <c>Descriptor</c> instead builds the whole
/// protobuf reflection model of the .proto file and its imports, over a thousand methods to JIT at every plugin start
/// (tests/Benchmarks/TUNING.md).
/// </summary>
internal static class ServiceNames
{
    /// <summary>The service name, or null when <paramref name="serviceType"/> derives from no generated service base.</summary>
    public static string? Of(Type serviceType)
    {
        for (var type = serviceType; type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is { } bind && NameFrom(bind) is { } name)
            {
                return name;
            }
        }

        return null;
    }

    private static string? NameFrom(BindServiceMethodAttribute bind)
    {
        var bindService = BindMethod(bind.BindType, bind.BindMethodName);
        if (bindService?.GetParameters() is not [{ ParameterType: var binderType }, _] || binderType != typeof(ServiceBinderBase))
        {
            return null;
        }

        var recorder = new NameRecorder();
        bindService.Invoke(null, [recorder, null]);
        return recorder.Name;
    }

    // BindServiceMethodAttribute.BindType carries the trimmer annotation that keeps these methods.
    private static MethodInfo? BindMethod([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] Type bindType, string name) =>
        bindType.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static).FirstOrDefault(m => m.Name == name && m.GetParameters().Length == 2);

    private sealed class NameRecorder : ServiceBinderBase
    {
        public string? Name { get; private set; }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) => Name ??= method.ServiceName;

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) => Name ??= method.ServiceName;

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) => Name ??= method.ServiceName;

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) => Name ??= method.ServiceName;
    }
}
