using System.Reflection;
using Docker.DotNet;

namespace Berth.Tests.Engine;

/// <summary>
/// An <see cref="IDockerClient"/> whose every call goes to one handler, named "Containers.InspectContainerAsync",
/// "System.MonitorEventsAsync", ...: the handler returns the call's result (a Task) or throws. Anything
/// it does not know should throw <see cref="NotSupportedException"/>.
/// </summary>
public class StubDockerClient : DispatchProxy
{
    private Func<string, object?[], object?> handler = (name, _) => throw new NotSupportedException(name);

    public static IDockerClient Create(Func<string, object?[], object?> handler)
    {
        var client = Create<IDockerClient, StubDockerClient>();
        ((StubDockerClient)(object)client).handler = handler;
        return client;
    }

    /// <summary>A client whose every call fails with <paramref name="failure"/> (as a faulted task, as the real client fails).</summary>
    public static IDockerClient Failing(Exception failure) => Create((name, _) => throw failure);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var name = targetMethod?.Name ?? string.Empty;
        if (name == "Dispose")
        {
            return null;
        }

        if (name.StartsWith("get_", StringComparison.Ordinal) && targetMethod!.ReturnType.IsInterface)
        {
            return Operations.For(targetMethod.ReturnType, name["get_".Length..], handler);
        }

        throw new NotSupportedException(name);
    }

    /// <summary>One group of operations (Containers, Images, System, ...).</summary>
    public class Operations : DispatchProxy
    {
        private string group = string.Empty;
        private Func<string, object?[], object?> handler = (name, _) => throw new NotSupportedException(name);

        internal static object For(Type operationsInterface, string group, Func<string, object?[], object?> handler)
        {
            var operations = (Operations)Create(operationsInterface, typeof(Operations));
            operations.group = group;
            operations.handler = handler;
            return operations;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            var name = $"{group}.{targetMethod?.Name}";
            try
            {
                return handler(name, args ?? []);
            }
            catch (Exception exception) when (exception is not NotSupportedException && typeof(Task).IsAssignableFrom(targetMethod!.ReturnType))
            {
                return Faulted(targetMethod.ReturnType, exception);
            }
        }

        private static Task Faulted(Type taskType, Exception exception)
        {
            if (!taskType.IsGenericType)
            {
                return Task.FromException(exception);
            }

            var fromException = typeof(Task).GetMethods(BindingFlags.Public | BindingFlags.Static)
                .Single(method => method.Name == nameof(Task.FromException) && method.IsGenericMethodDefinition)
                .MakeGenericMethod(taskType.GetGenericArguments()[0]);
            return (Task)fromException.Invoke(null, [exception])!;
        }
    }
}
