// The web front end, a Node server on node "web" (no npm packages). It calls orders and pricing on node "data", so
// Brummer starts it only once both are ready there (depends_on data/orders, data/pricing: process_healthy).
//   GET  /            a page listing the orders with their prices
//   GET  /api/orders  the same as JSON: {orders: [{id, sku, qty, unit_price, total}], total, currency}
//   POST /api/orders  {"sku": "latte", "qty": 1} places an order through orders, priced by pricing
//   GET  /health      its readiness probe
const http = require('node:http');

const port = Number(process.env.WEB_PORT);
const ordersUrl = process.env.ORDERS_URL;
const pricingUrl = process.env.PRICING_URL;

async function call(url, options) {
  const response = await fetch(url, { ...options, signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  if (!response.ok) {
    throw Object.assign(new Error(`${options?.method ?? 'GET'} ${url} answered ${response.status}: ${text}`), { status: response.status });
  }
  return JSON.parse(text);
}

async function priced(order) {
  const price = await call(`${pricingUrl}/price?sku=${encodeURIComponent(order.sku)}`);
  const total = Math.round(price.unit_price * order.qty * 100) / 100;
  return { ...order, unit_price: price.unit_price, total, currency: price.currency };
}

async function summary() {
  const orders = await Promise.all((await call(`${ordersUrl}/orders`)).map(priced));
  const total = Math.round(orders.reduce((sum, o) => sum + o.total, 0) * 100) / 100;
  return { orders, total, currency: orders[0]?.currency ?? null };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

const page = (s) => `<!doctype html><title>shop</title><h1>Orders</h1><ul>${
  s.orders.map((o) => `<li>#${o.id} ${o.qty} &times; ${o.sku} = ${o.total.toFixed(2)} ${o.currency}</li>`).join('')
}</ul><p>Total: ${s.total.toFixed(2)} ${s.currency ?? ''}</p>\n`;

const server = http.createServer(async (req, res) => {
  try {
    if (req.url === '/health') return send(res, 200, 'text/plain', 'ok');
    if (req.url === '/api/orders' && req.method === 'POST') {
      let wanted;
      try {
        wanted = JSON.parse(await readBody(req));
      } catch {
        return send(res, 400, 'text/plain', 'expected JSON: {"sku": "latte", "qty": 1}\n');
      }
      // Priced first: an order for something pricing does not know is refused before orders stores it.
      const price = await fetch(`${pricingUrl}/price?sku=${encodeURIComponent(wanted?.sku ?? '')}`, { signal: AbortSignal.timeout(5000) });
      if (price.status === 404) return send(res, 400, 'application/json', await price.text());
      const placed = await call(`${ordersUrl}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(wanted) });
      return send(res, 201, 'application/json', JSON.stringify(await priced(placed)));
    }
    if (req.url === '/api/orders') return send(res, 200, 'application/json', JSON.stringify(await summary()));
    if (req.url === '/') return send(res, 200, 'text/html; charset=utf-8', page(await summary()));
    return send(res, 404, 'text/plain', 'try /, /api/orders or /health\n');
  } catch (error) {
    console.error(`web: ${req.method} ${req.url} failed: ${error.message}`);
    // A request orders refused is the client's mistake (400); anything else is a service behind web failing (502).
    return send(res, error.status === 400 ? 400 : 502, 'text/plain', `${error.message}\n`);
  }
});

// Says at start whether what it needs was there: with depends_on it always is, which is the point of the example.
Promise.all([`${ordersUrl}/health`, `${pricingUrl}/health`].map((url) =>
  fetch(url, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, (e) => e.cause?.code ?? e.message)))
  .then(([orders, pricing]) => {
    console.log(`web: at start, orders /health answered ${orders} and pricing /health answered ${pricing}`);
    server.listen(port, '127.0.0.1', () => console.log(`web: listening on http://localhost:${port}`));
  });

process.on('SIGTERM', () => server.close(() => process.exit(0)));
