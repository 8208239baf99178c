using System.Text.Json.Serialization;
using Brummer.Gateway.Contracts;

namespace Brummer.Client;

/// <summary>The gateway's answers the client verbs read, deserialized by generated code (no reflection: NativeAOT).</summary>
[JsonSerializable(typeof(StatusResult))]
[JsonSerializable(typeof(RunScriptResult))]
public sealed partial class ClientJson : JsonSerializerContext;
