using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Daemon.Http;

/// <summary>The answer to a webhook delivery (shown in the provider's delivery log).</summary>
public sealed record WebhookAnswer(string Result, string Detail);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WebhookAnswer))]
internal sealed partial class DaemonJsonContext : JsonSerializerContext;
