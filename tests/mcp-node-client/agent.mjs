// A scripted agent: carries out one task against a Brummer gateway with the official TypeScript MCP SDK, the way an
// agent that has never seen Brummer would (tool names and arguments from tools/list, choices from the answers), and
// prints one JSON object: every tool call it made (in order) and what it concluded.
// Usage: node agent.mjs <mcp-url> <task> [<arg>]
//   fix-failing <script>: find which machine's <script> is failing, read its first error, restart it, wait until ready
//   anything-failing:     is anything failing anywhere in the cluster?
//   mistakes:             calls with the mistakes agents make; every error should say what to do next
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, task, arg] = process.argv.slice(2);
const client = new Client({ name: 'brummer-test-agent', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
const tools = (await client.listTools()).tools;

const calls = [];
async function call(name, args) {
  if (!tools.some((t) => t.name === name)) {
    throw new Error(`no tool ${name} in tools/list`);
  }

  // A restart that waits for readiness may take longer than the SDK's default 60 s request timeout on a busy machine.
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 300_000 });
  const entry = {
    tool: name,
    arguments: args,
    isError: result.isError ?? false,
    structured: result.structuredContent ?? null,
    text: (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n'),
  };
  calls.push(entry);
  return entry;
}

const failing = (p) => p.status === 'failed' || p.status === 'restarting' || p.status === 'lost' || p.health === 'unhealthy';
let conclusion = {};
switch (task) {
  case 'fix-failing': {
    // 1. Where is it, and which copy is failing?
    const status = await call('scripts_status', { name: arg });
    const broken = status.structured.processes.find(failing);
    if (!broken) {
      conclusion = { found: null };
      break;
    }

    // 2. Its first error, with the stack.
    const errors = await call('errors_list', { name: arg, node: broken.node, limit: 1 });
    // 3. Restart it and return once the new run serves.
    const restart = await call('scripts_restart', { name: arg, node: broken.node, wait: 'ready', timeout_seconds: 120 });
    conclusion = { found: broken, first_error: errors.structured.errors[0] ?? null, after_restart: restart.structured?.process ?? null };
    break;
  }

  case 'anything-failing': {
    const status = await call('scripts_status', { status: 'failed,restarting,lost' });
    conclusion = { failing: status.structured.processes.map((p) => `${p.node}/${p.name}`) };
    break;
  }

  case 'mistakes': {
    await call('scripts_restart', { name: 'apii', node: 'b' }); // a typo in the name
    await call('scripts_restart', { name: 'api' }); // no node, though the script runs on several
    await call('logs_tail', { name: 'api', node: 'c' }); // a node that does not exist
    await call('wait_for', { name: 'api', node: 'b', condition: 'serving' }); // a condition that does not exist
    await call('errors_list', { run: 1 }); // a run number without the script it belongs to
    break;
  }

  default:
    throw new Error(`unknown task ${task}`);
}

await client.close();
console.log(JSON.stringify({ calls, conclusion }));
