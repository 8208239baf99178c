namespace Brummer.Grains.Telemetry;

/// <summary>What the node's processes report to: its metrics, and where their output goes as logs (null: nowhere).</summary>
public sealed record NodeTelemetry(NodeMetrics? Metrics, ScriptLogExporter? Logs = null);
