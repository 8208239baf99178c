// Drives a Brummer gateway with the official TypeScript MCP SDK over streamable HTTP and prints one JSON object:
// the tool names, and the structured results of the calls given on the command line.
// Usage: node client.mjs <mcp-url> <tool> <json-args> [<tool> <json-args> ...]
//    or: node client.mjs 'stdio:["dotnet","brummer.dll","mcp","--gateway","http://..."]' <tool> <json-args> ...
//        (starts that command and speaks MCP over its stdin/stdout, as Claude Desktop does)
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [url, ...calls] = process.argv.slice(2);
const client = new Client({ name: 'brummer-node-test-client', version: '1.0.0' });
if (url.startsWith('stdio:')) {
  const [command, ...args] = JSON.parse(url.slice('stdio:'.length));
  await client.connect(new StdioClientTransport({ command, args, stderr: 'inherit' }));
} else {
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
}

const tools = (await client.listTools()).tools.map((t) => t.name).sort();
const results = [];
for (let i = 0; i < calls.length; i += 2) {
  const result = await client.callTool({ name: calls[i], arguments: JSON.parse(calls[i + 1]) });
  results.push({
    tool: calls[i],
    isError: result.isError ?? false,
    structured: result.structuredContent ?? null,
    text: (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n'),
  });
}

await client.close();
console.log(JSON.stringify({ tools, results }));
