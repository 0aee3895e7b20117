using System.Collections.Immutable;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Interpolation;

/// <summary>Interpolates every scalar value of a Compose tree (never keys), as Compose does before reading it.</summary>
internal static class TreeInterpolator
{
    public static Node Interpolate(Node node, VariableSet variables, ErrorCollector errors) => node switch
    {
        ScalarNode { IsNull: true } => node,
        ScalarNode scalar => InterpolateScalar(scalar, variables, errors),
        SequenceNode sequence => new SequenceNode(sequence.Start, [.. sequence.Items.Select(item => Interpolate(item, variables, errors))]),
        MappingNode mapping => new MappingNode(mapping.Start, [.. mapping.Entries.Select(entry => entry with { Value = Interpolate(entry.Value, variables, errors) })]),
        _ => node,
    };

    public static ScalarNode InterpolateScalar(ScalarNode scalar, VariableSet variables, ErrorCollector errors)
    {
        var result = Interpolator.Interpolate(scalar.Value, variables);
        if (result.Error is not null)
        {
            errors.AddInterpolationFailure(scalar.Start, result.Error);
            return scalar;
        }

        return result.Value == scalar.Value && result.SecretVariable is null ? scalar : scalar.WithValue(result.Value!, result.SecretVariable);
    }
}
