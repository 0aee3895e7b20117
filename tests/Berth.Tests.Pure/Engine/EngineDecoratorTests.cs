using System.Reflection;
using Berth.Reconciler.Engine;

namespace Berth.Tests.Engine;

/// <summary>
/// Every class that wraps another <see cref="IContainerEngine"/> (resilience, metering, the informer's cache,
/// fault injection) implements every member of the interface itself, the ones with a default body too.
/// </summary>
/// <remarks>
/// A default body left to the interface does not reach the wrapped engine: it silently changes what the
/// chain does. Two such gaps were found by review: the pull with progress fell back to the pull without,
/// so the daemon's journal showed "0 layers, 0 B downloaded" for every pull.
/// </remarks>
public sealed class EngineDecoratorTests
{
    public static TheoryData<string> Decorators() => [.. DecoratorNames()];

    private static IEnumerable<string> DecoratorNames() =>
        typeof(IContainerEngine).Assembly.GetTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false } && typeof(IContainerEngine).IsAssignableFrom(type))
            .Where(type => type.GetConstructors().Any(constructor => constructor.GetParameters().Any(parameter => parameter.ParameterType == typeof(IContainerEngine))))
            .Select(type => type.FullName!);

    [Fact]
    public void Decorators_AreFound()
    {
        Assert.Contains(typeof(ResilientContainerEngine).FullName!, DecoratorNames());
        Assert.Contains(typeof(CachingContainerEngine).FullName!, DecoratorNames());
    }

    [Theory]
    [MemberData(nameof(Decorators))]
    public void Decorator_ImplementsEveryMemberItself(string typeName)
    {
        var type = typeof(IContainerEngine).Assembly.GetType(typeName)!;
        var map = type.GetInterfaceMap(typeof(IContainerEngine));
        var leftToTheInterface = map.TargetMethods
            .Where(method => method.DeclaringType == typeof(IContainerEngine))
            .Select(method => $"{method.Name}({string.Join(", ", method.GetParameters().Select(parameter => parameter.ParameterType.Name))})")
            .ToList();
        Assert.True(leftToTheInterface.Count == 0, $"{type.Name} leaves to the interface's default: {string.Join("; ", leftToTheInterface)}");
    }
}
