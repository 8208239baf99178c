// A long-running dev server: prints its URL, then logs each request until stopped.
const http = require('node:http');

const port = Number(process.env.PORT ?? 3000);
const server = http.createServer((req, res) => {
  console.log(`${new Date().toISOString()} ${req.method} ${req.url}`);
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('hello from hello-stack\n');
});

server.listen(port, '127.0.0.1', () => {
  console.log(`web listening on http://localhost:${port}`);
});

process.on('SIGTERM', () => {
  console.log('web: SIGTERM received, closing');
  server.close(() => process.exit(0));
});
