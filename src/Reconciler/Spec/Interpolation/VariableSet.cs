namespace Berth.Reconciler.Spec.Interpolation;

/// <summary>A variable's value and whether it came from the host (then it is a secret).</summary>
internal readonly record struct Variable(string Value, bool IsSecret);

/// <summary>
/// The variables a stack is interpolated with on one host. Precedence, lowest first: the project's
/// `.env` (next to the stack's first Compose file), stack vars, host vars (both from berth.yaml), host
/// env files, host environment (both host-local: secrets).
/// </summary>
internal sealed class VariableSet
{
    public static readonly VariableSet Empty = new();

    private readonly Dictionary<string, Variable> variables = new(StringComparer.Ordinal);

    public VariableSet Overlay(IEnumerable<KeyValuePair<string, string>> values, bool isSecret)
    {
        var result = new VariableSet();
        foreach (var (name, variable) in variables)
        {
            result.variables[name] = variable;
        }

        foreach (var (name, value) in values)
        {
            result.variables[name] = new Variable(value, isSecret);
        }

        return result;
    }

    /// <summary>A copy with <paramref name="values"/> beneath this set's own: they count only where this set has no value.</summary>
    public VariableSet Beneath(IEnumerable<KeyValuePair<string, Variable>> values)
    {
        var result = new VariableSet();
        foreach (var (name, variable) in values)
        {
            result.variables[name] = variable;
        }

        foreach (var (name, variable) in variables)
        {
            result.variables[name] = variable;
        }

        return result;
    }

    /// <summary>
    /// A copy to which <see cref="Set"/> adds: a dotenv file's own lines, read one by one, on top of
    /// the variables it is read with. Never mutate a set that others share.
    /// </summary>
    public VariableSet CopyForAdding() => Overlay([], isSecret: false);

    /// <summary>Adds or replaces one variable of a set made by <see cref="CopyForAdding"/>.</summary>
    public void Set(string name, Variable variable) => variables[name] = variable;

    public bool TryGet(string name, out Variable variable) => variables.TryGetValue(name, out variable);
}
