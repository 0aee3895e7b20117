using System.Reflection;
using Berth.Reconciler.Engine;

namespace Berth.Tests.Engine;

/// <summary>
/// Engine/ is the only code that knows Docker.DotNet (README, "Repository layout"). Three checks, each
/// catching what the others cannot: the source outside Engine/ never names it (catch clauses, locals,
/// `using`); the berth binary's assembly does not even reference it (a type used without being named,
/// through `var`); and no type of the library outside Engine/ has it in a signature (fields, properties,
/// parameters, including the state machines that hold an async method's locals).
/// </summary>
public sealed class EngineBoundaryTests
{
    private const string ClientNamespace = "Docker.DotNet";

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Reconciler.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Reconciler.sln not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void Source_OutsideEngine_NeverNamesTheDockerClient()
    {
        var root = RepositoryRoot();
        var engineFolder = Path.Combine(root, "src", "Reconciler", "Engine") + Path.DirectorySeparatorChar;
        var offending = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.StartsWith(engineFolder, StringComparison.Ordinal))
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .SelectMany(path => File.ReadLines(path).Select((line, index) => (path, line, index)))
            .Where(entry => entry.line.Contains(ClientNamespace, StringComparison.Ordinal))
            .Select(entry => $"{Path.GetRelativePath(root, entry.path)}:{entry.index + 1}: {entry.line.Trim()}")
            .ToList();

        Assert.True(offending.Count == 0, "Docker.DotNet outside src/Reconciler/Engine/:\n" + string.Join('\n', offending));
    }

    [Fact]
    public void BerthBinary_DoesNotReferenceTheDockerClient()
    {
        var references = typeof(Berth.Daemon.DaemonHost).Assembly.GetReferencedAssemblies().Select(name => name.Name ?? string.Empty);

        Assert.DoesNotContain(references, name => name.StartsWith(ClientNamespace, StringComparison.Ordinal));
    }

    [Fact]
    public void Library_OutsideEngine_HasNoDockerClientTypeInASignature()
    {
        const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var engineNamespace = typeof(IContainerEngine).Namespace!;
        var offending = new List<string>();
        foreach (var type in typeof(IContainerEngine).Assembly.GetTypes().Where(type => type.Namespace is { } name && name != engineNamespace && !name.StartsWith(engineNamespace + ".", StringComparison.Ordinal)))
        {
            IEnumerable<(string Member, Type Used)> uses =
            [
                .. type.GetInterfaces().Select(used => ("implements", used)),
                .. type.BaseType is { } baseType ? [("base", baseType)] : Array.Empty<(string, Type)>(),
                .. type.GetFields(Everything).Select(field => (field.Name, field.FieldType)),
                .. type.GetProperties(Everything).Select(property => (property.Name, property.PropertyType)),
                .. type.GetMethods(Everything).SelectMany(method => method.GetParameters().Select(parameter => (method.Name, parameter.ParameterType)).Append((method.Name, method.ReturnType))),
                .. type.GetConstructors(Everything).SelectMany(constructor => constructor.GetParameters().Select(parameter => (".ctor", parameter.ParameterType))),
            ];
            offending.AddRange(uses.Where(use => MentionsClient(use.Used)).Select(use => $"{type.FullName}.{use.Member}: {use.Used}"));
        }

        Assert.True(offending.Count == 0, "Docker.DotNet types outside Berth.Reconciler.Engine:\n" + string.Join('\n', offending));
    }

    private static bool MentionsClient(Type type) =>
        (type.Namespace?.StartsWith(ClientNamespace, StringComparison.Ordinal) ?? false)
        || (type.HasElementType && MentionsClient(type.GetElementType()!))
        || (type.IsGenericType && type.GetGenericArguments().Any(MentionsClient));
}
