#!/usr/bin/env bash
# Screenshot of the Aspire dashboard while `dotnet run --project aspire/Brummer.AppHost` runs, with headless Chromium.
#
#   aspire/screenshot.sh LOGIN_URL [OUT.png] [PAGE]
#
# LOGIN_URL is the AppHost's "Login to the dashboard at http://localhost:18888/login?t=..." line (the token logs the
# browser in); PAGE is a dashboard path, / (resources, the default), /structuredlogs, /traces or /metrics. The dashboard
# renders in the browser over a live connection, so a plain `chromium --screenshot` catches an empty page: this drives
# Chromium over the DevTools protocol (node's WebSocket, no packages) and shoots once the three resources are listed.
# Needs chromium (apt-get install -y chromium) and node >= 20.10.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '4,5p' "$0" >&2; exit 2; }
command -v chromium >/dev/null || { echo "screenshot: chromium is not installed (apt-get install -y chromium)" >&2; exit 2; }

profile=$(mktemp -d)   # Chromium's profile: its helpers may still write there as it exits, so it is removed last
trap 'rm -rf "$profile"' EXIT
node --experimental-websocket --no-warnings --input-type=module - "$1" "${2:-docs/images/aspire-dashboard.png}" "${3:-/}" "$profile" <<'JS'
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const [login, out, page, profile] = process.argv.slice(2);
const expected = ['data', 'web', 'gateway'];
const chromium = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
  '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--window-size=1400,900', 'about:blank'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
const deadline = (ms, what) => new Promise((_, reject) => setTimeout(() => reject(new Error(`screenshot: timed out ${what}`)), ms).unref());

try {
  const browserUrl = await Promise.race([deadline(30_000, 'waiting for chromium'), new Promise(resolve => {
    let text = '';
    chromium.stderr.on('data', chunk => {
      text += chunk;
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (match) resolve(match[1]);
    });
  })]);

  const socket = new WebSocket(browserUrl);
  await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject; });
  let id = 0;
  const pending = new Map();
  socket.onmessage = event => {
    const message = JSON.parse(event.data);
    const waiter = pending.get(message.id);
    if (waiter) {
      pending.delete(message.id);
      message.error ? waiter.reject(new Error(message.error.message)) : waiter.resolve(message.result);
    }
  };
  const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
    pending.set(++id, { resolve, reject });
    socket.send(JSON.stringify({ id, method, params, sessionId }));
  });

  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const tab = (method, params) => send(method, params, sessionId);
  await tab('Emulation.setDeviceMetricsOverride', { width: 1400, height: 900, deviceScaleFactor: 1, mobile: false });
  await tab('Page.navigate', { url: login });        // the token sets the login cookie, then the resources page loads
  if (page !== '/') {
    await new Promise(resolve => setTimeout(resolve, 3000));
    await tab('Page.navigate', { url: new URL(page, login).href });
  }

  // Wait for the page to show every resource (the live connection fills it in), then for the last updates to land.
  const text = async () => (await tab('Runtime.evaluate', { expression: 'document.body.innerText', returnByValue: true })).result.value ?? '';
  const until = Date.now() + 90_000;
  const listed = shown => expected.every(name => new RegExp(`\\b${name}\\b`).test(shown));
  while (!listed(await text())) {
    if (Date.now() > until) throw new Error(`screenshot: the page never listed ${expected.join(', ')}:\n${await text()}`);
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  await new Promise(resolve => setTimeout(resolve, 3000));

  const { data } = await tab('Page.captureScreenshot', { format: 'png' });
  writeFileSync(out, Buffer.from(data, 'base64'));
  if (process.env.SCREENSHOT_TEXT) console.log(await text());
  console.log(`screenshot: ${out}`);
  await send('Browser.close').catch(() => {});
} finally {
  chromium.kill();
}
JS
