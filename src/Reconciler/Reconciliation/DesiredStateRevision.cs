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
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public static string Compute(DesiredState desired)
    {
        var json = JsonSerializer.Serialize(desired with { Host = string.Empty }, Json);
        return "content-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..12];
    }
}
