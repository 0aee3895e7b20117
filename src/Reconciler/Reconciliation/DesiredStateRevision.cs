using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Reconciliation;

/// <summary>
/// A revision for a desired state that does not come from git (`--repo DIR`): a hash of the whole
/// normalised state, so "the same input" is recognised across runs (e.g. not retrying a failed one).
/// </summary>
public static class DesiredStateRevision
{
    public static string Compute(DesiredState desired)
    {
        var json = JsonSerializer.Serialize(desired with { Host = string.Empty }, DesiredStateJsonContext.Default.DesiredState);
        return "content-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..12];
    }
}

/// <summary>
/// The JSON the revision hashes, generated at build time (issue #16: Native AOT has no reflection
/// serializer). Its bytes must stay those the reflection serializer (default options plus a
/// <see cref="JsonStringEnumConverter"/>) wrote, or every `content-…` revision a host recorded would
/// change at upgrade: DesiredStateJsonContextTests compares the two on the corpus and the examples.
/// </summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
[JsonSerializable(typeof(DesiredState))]
internal sealed partial class DesiredStateJsonContext : JsonSerializerContext;
