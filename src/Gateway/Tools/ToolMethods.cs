using System.Reflection;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

/// <summary>The MCP tool methods of the registered tool types, by tool name: what the access and argument checks read.</summary>
internal static class ToolMethods
{
    public static IEnumerable<(string Name, MethodInfo Method)> Of(IEnumerable<Type> toolTypes) =>
        toolTypes
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            .Select(m => (Name: m.GetCustomAttribute<McpServerToolAttribute>()?.Name, Method: m))
            .Where(m => m.Name is not null)
            .Select(m => (m.Name!, m.Method));
}
