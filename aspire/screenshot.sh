#!/usr/bin/env bash
# Screenshot of the Aspire dashboard while `dotnet run --project aspire/Brummer.AppHost` runs, with headless Chromium.
#
#   aspire/screenshot.sh LOGIN_URL [OUT.png] [PAGE]
#
# LOGIN_URL is the AppHost's "Login to the dashboard at http://localhost:18888/login?t=..." line (the token logs the
# browser in); PAGE is a dashboard path, / (resources, the default), /structuredlogs, /structuredlogs/resource/NAME,
# /traces or /metrics. The dashboard renders in the browser over a live connection, so a plain `chromium --screenshot`
# catches an empty page: this drives Chromium over the DevTools protocol (node's WebSocket, no packages) and shoots
# once the page shows the words in SCREENSHOT_WAIT (default data,web,gateway: the three resources), with the
# dashboard's own notices (e.g. about a development certificate) dismissed. SCREENSHOT_CLICK says what to click first,
# in order, '|' between: an element's text, or css:SELECTOR. The pictures in docs/observability.md were taken with
#   aspire/screenshot.sh LOGIN_URL docs/images/aspire-dashboard.png
#   SCREENSHOT_WAIT=orders SCREENSHOT_CLICK='css:[role=combobox]' aspire/screenshot.sh LOGIN_URL docs/images/aspire-structured-logs.png /structuredlogs
#   SCREENSHOT_WAIT=POST SCREENSHOT_CLICK='TRACE_ID|process.run' aspire/screenshot.sh LOGIN_URL docs/images/aspire-trace.png /traces
#   SCREENSHOT_WAIT=check SCREENSHOT_CLICK='css:tr.log-row-error td:nth-child(4)' aspire/screenshot.sh \
#     http://localhost:18888/ docs/images/aspire-standalone-error.png /structuredlogs/resource/check
# (the resource selector opened; the trace of an MCP scripts_run, its 7-digit id as the trace list shows it, with its
# process.run span's details open; the last from a standalone dashboard without login, fed by `brummer up --dir
# examples/hello-stack` after `brummer run check`, its error record opened). Needs chromium (apt-get install -y
# chromium) and node >= 20.10.
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
const expected = (process.env.SCREENSHOT_WAIT || 'data,web,gateway').split(',');
const clicks = (process.env.SCREENSHOT_CLICK || '').split('|').filter(Boolean);
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

  // Wait for the page to show every expected word (the live connection fills it in), then for the last updates to land.
  const evaluate = async expression => (await tab('Runtime.evaluate', { expression, returnByValue: true })).result.value;
  const text = async () => (await evaluate('document.body.innerText')) ?? '';
  const pause = ms => new Promise(resolve => setTimeout(resolve, ms));
  const until = Date.now() + 90_000;
  const escape = word => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const listed = shown => expected.every(word => new RegExp(`(^|\\W)${escape(word)}(\\W|$)`).test(shown));
  while (!listed(await text())) {
    if (Date.now() > until) throw new Error(`screenshot: the page never showed ${expected.join(', ')}:\n${await text()}`);
    await pause(500);
  }
  await pause(3000);

  // The dashboard's notices are about the dashboard's host, not about what it shows.
  await evaluate(`document.querySelectorAll('.dashboard-message-bar-dismiss').forEach(b => b.click())`);
  // Each click goes to the first element matching css:SELECTOR, or else the first, innermost, whose whole text is the label.
  for (const label of clicks) {
    const clicked = await evaluate(`(() => {
      const label = ${JSON.stringify(label)};
      const target = label.startsWith('css:')
        ? document.querySelector(label.slice(4))
        : [...document.querySelectorAll('body *')].find(e => e.textContent.trim() === label
            && ![...e.children].some(c => c.textContent.trim() === label));
      target?.click();
      return !!target;
    })()`);
    if (!clicked) throw new Error(`screenshot: nothing to click reads '${label}':\n${await text()}`);
    await pause(3000);
  }

  const { data } = await tab('Page.captureScreenshot', { format: 'png' });
  writeFileSync(out, Buffer.from(data, 'base64'));
  if (process.env.SCREENSHOT_TEXT) console.log(await text());
  console.log(`screenshot: ${out}`);
  await send('Browser.close').catch(() => {});
} finally {
  chromium.kill();
}
JS
