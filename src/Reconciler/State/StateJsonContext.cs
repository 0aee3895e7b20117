using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.State;

/// <summary>
/// The state file's JSON (<see cref="StateStore"/>, <see cref="StoredSecrets"/>), generated at build time
/// (issue #16: Native AOT has no reflection serializer). The file format is what the reflection serializer
/// wrote with these options (snake_case names, string enums, indented): files written by an older berth
/// must read the same, which StateJsonContextTests checks against the reflection serializer.
/// </summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    Converters = [typeof(DefaultableStringArrayConverter)])]
[JsonSerializable(typeof(AppliedState))]
[JsonSerializable(typeof(ServiceSpec))]
internal sealed partial class StateJsonContext : JsonSerializerContext;

/// <summary>
/// System.Text.Json cannot write a default <see cref="ImmutableArray{T}"/> (it throws), and a
/// default one has a meaning in the state (<see cref="FailedRevision.Services"/>: a record from an
/// older berth). Written as null, read back as default.
/// </summary>
internal sealed class DefaultableStringArrayConverter : JsonConverter<ImmutableArray<string>>
{
    public override bool HandleNull => true;

    public override ImmutableArray<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return default;
        }

        var builder = ImmutableArray.CreateBuilder<string>();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("expected an array of strings");
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            builder.Add(reader.GetString() ?? throw new JsonException("expected a string"));
        }

        return builder.ToImmutable();
    }

    public override void Write(Utf8JsonWriter writer, ImmutableArray<string> value, JsonSerializerOptions options)
    {
        if (value.IsDefault)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartArray();
        foreach (var item in value)
        {
            writer.WriteStringValue(item);
        }

        writer.WriteEndArray();
    }
}
