using System.Buffers;
using System.Security.Cryptography;
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
        // The serializer's UTF-8 output is hashed as it is written (issue #16: at 50 services the revision was
        // 15 % of a no-op apply's CPU, most of it turning the JSON into a string and back into UTF-8 bytes).
        // The bytes are those JsonSerializer.Serialize(value, typeInfo) returns as a string, so the value is
        // unchanged (DesiredStateRevision_ExampleRepository_IsThePinnedRevision).
        using var hashing = new HashingBufferWriter();
        using (var writer = new Utf8JsonWriter(hashing))
        {
            JsonSerializer.Serialize(writer, desired with { Host = string.Empty }, DesiredStateJsonContext.Default.DesiredState);
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        hashing.GetHashAndReset(hash);
        return "content-" + Convert.ToHexStringLower(hash[..6]);
    }

    /// <summary>
    /// An <see cref="IBufferWriter{T}"/> that feeds every committed chunk to SHA-256 and reuses one pooled
    /// buffer, so hashing a large state needs neither the whole document in memory nor a copy of it.
    /// </summary>
    private sealed class HashingBufferWriter : IBufferWriter<byte>, IDisposable
    {
        private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);

        public void Advance(int count) => hash.AppendData(buffer, 0, count);

        public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).Span;

        public void GetHashAndReset(Span<byte> destination) => hash.GetHashAndReset(destination);

        public void Dispose()
        {
            hash.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // Whatever was handed out before was committed by Advance (the writer's contract), so the buffer is free.
        private Memory<byte> Ensure(int sizeHint)
        {
            if (sizeHint > buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent(sizeHint);
            }

            return buffer;
        }
    }
}

/// <summary>
/// The JSON the revision hashes, generated at build time (issue #16: Native AOT has no reflection
/// serializer). Its bytes must stay those the reflection serializer (default options plus a
/// <see cref="JsonStringEnumConverter"/>) wrote, or every `content-…` revision a host recorded would
/// change at upgrade: SourceGeneratedJsonTests compares the two on the corpus and the examples.
/// </summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(DesiredState))]
internal sealed partial class DesiredStateJsonContext : JsonSerializerContext;
