// Follows one process through MCP notifications with the official TypeScript SDK over streamable HTTP: subscribes to
// its log resource, prints {"ready":...} once subscribed, then waits (up to 60 s) for a resources/updated about it and
// an error-level notifications/message naming it, and prints one JSON object with what arrived.
// Usage: node notifications.mjs <mcp-url> <token> <resource-uri> <process-name>
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

const [url, token, uri, name] = process.argv.slice(2);
const updates = [];
const messages = [];
let finish;
const finished = new Promise((resolve) => (finish = resolve));
const check = () => {
  const told = messages.some((m) => m.level === 'error' && String(m.data?.message ?? '').startsWith(`${name} on `));
  if (updates.includes(uri) && told) finish();
};

const client = new Client({ name: 'brummer-node-notifications', version: '1.0.0' });
client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => { updates.push(n.params.uri); check(); });
client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { messages.push(n.params); check(); });
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
await client.connect(transport);
const session = transport.sessionId ?? null;
const resources = (await client.listResources()).resources.map((r) => r.uri);
await client.subscribeResource({ uri });
console.log(JSON.stringify({ ready: true, session }));

const timeout = setTimeout(finish, 60_000);
await finished;
clearTimeout(timeout);
await transport.terminateSession();
await client.close();
console.log(JSON.stringify({ session, resources, updates, messages }));
