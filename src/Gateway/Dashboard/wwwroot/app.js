// Brummer's web dashboard. The first picture comes from the JSON API (/api/whoami, /api/nodes, /api/scripts,
// /api/processes); from then on it is kept live by /api/events, read with fetch() rather than EventSource so that a
// token travels in the Authorization header and never in a URL (where proxies and logs would keep it). Nothing is
// polled but the open process's output, which is read with a cursor (after_seq) on each change of that process and
// once a second while its panel is open. No framework and no build step: this file is served as it is.

const TOKEN_KEY = 'brummer.token';
const LOG_LINES_KEPT = 2000;

const $ = (id) => document.getElementById(id);
const key = (node, name) => `${node}\u0000${name}`;
const segment = (text) => encodeURIComponent(text); // '/' becomes %2F, which the gateway reads back as '/'

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  me: null,
  nodes: new Map(), // name → NodeDto
  processes: new Map(), // key → ProcessDto
  scripts: new Map(), // key → ScriptDto
  outcomes: new Map(), // key → { text, error }: the answer to the last button pressed for that process
  busy: new Set(), // keys with a control call in flight
  lastEventId: null,
  stream: null, // AbortController of the event stream
  selected: null, // { node, name } of the open process panel
};

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = new Headers(options.headers);
  headers.set('Accept', 'application/json');
  if (state.token) headers.set('Authorization', `Bearer ${state.token}`);
  let response;
  try {
    response = await fetch(path, { ...options, headers, cache: 'no-store' });
  } catch (error) {
    throw new ApiError(0, `the gateway cannot be reached (${error.message})`);
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, body?.detail ?? body?.title ?? `${response.status} ${response.statusText}`);
  }
  return body;
}

// ---- start, tokens -------------------------------------------------------------------------------------------

async function start() {
  stopStream();
  $('fatal').hidden = true;
  try {
    state.me = await api('/api/whoami');
  } catch (error) {
    if (error.status === 401) {
      askForToken(state.token ? `That token is not accepted: ${error.message}` : '');
    } else {
      showFatal(`${error.message}. Trying again…`);
      setTimeout(start, 2000);
    }
    return;
  }

  $('token-panel').hidden = true;
  $('main').hidden = false;
  $('who').textContent = `${state.me.name} · ${state.me.role}${state.me.can_control ? '' : ' · read-only'}`;
  $('forget-token').hidden = !state.me.tokens_required;
  document.body.classList.toggle('no-controls', !state.me.can_control);
  await loadPicture();
  openStream();
  onRoute();
}

function askForToken(message) {
  stopStream();
  closePanel();
  $('main').hidden = true;
  $('token-panel').hidden = false;
  $('who').textContent = '';
  $('forget-token').hidden = true;
  $('token-error').textContent = message;
  setConnection('signed-out', 'token needed');
  $('token-input').focus();
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $('token-input').value.trim();
  if (!token) return;
  state.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  $('token-input').value = '';
  start();
});

$('forget-token').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  start();
});

function showFatal(message) {
  $('fatal').textContent = message;
  $('fatal').hidden = false;
}

async function loadPicture() {
  try {
    const [nodes, processes] = await Promise.all([api('/api/nodes'), api('/api/processes')]);
    state.nodes = new Map(nodes.nodes.map((n) => [n.name, n]));
    state.processes = new Map(processes.processes.map((p) => [key(p.node, p.name), p]));
  } catch (error) {
    if (error.status === 401) return askForToken(error.message);
    showFatal(`Could not read the cluster's state: ${error.message}`); // the event stream brings it when it can
  }
  await refreshScripts();
}

// Scripts that have not run have no process yet: they come from /api/scripts, read again when the set may have changed.
let scriptsReading = null;
async function refreshScripts() {
  if (scriptsReading) return scriptsReading;
  scriptsReading = (async () => {
    try {
      const result = await api('/api/scripts');
      state.scripts = new Map(result.scripts.map((s) => [key(s.node, s.name), s]));
    } catch (error) {
      if (error.status === 401) return askForToken(error.message);
      // 503 before any node has reported: no scripts yet.
    } finally {
      scriptsReading = null;
    }
    scheduleRender();
  })();
  return scriptsReading;
}

// ---- the event stream -----------------------------------------------------------------------------------------

function stopStream() {
  state.stream?.abort();
  state.stream = null;
}

function setConnection(kind, text) {
  const element = $('connection');
  element.dataset.state = kind;
  element.textContent = text;
}

async function openStream() {
  const controller = new AbortController();
  state.stream = controller;
  let retry = 1000;
  setConnection('connecting', 'connecting…');
  while (!controller.signal.aborted) {
    try {
      const headers = { Accept: 'text/event-stream' };
      if (state.token) headers.Authorization = `Bearer ${state.token}`;
      if (state.lastEventId) headers['Last-Event-ID'] = state.lastEventId;
      const response = await fetch('/api/events', { headers, signal: controller.signal, cache: 'no-store' });
      if (response.status === 401) {
        askForToken('The gateway no longer accepts this token (revoked?).');
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      setConnection('live', 'live');
      retry = (await readEvents(response.body)) ?? retry;
    } catch {
      if (controller.signal.aborted) return;
    }
    setConnection('reconnecting', 'reconnecting…');
    await new Promise((resolve) => setTimeout(resolve, retry));
  }
}

/** Reads server-sent events until the stream ends; returns the server's retry delay if it sent one. */
async function readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let type = 'message';
  let data = [];
  let id = null;
  let retry;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return retry;
    buffer += value;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      let line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (id !== null) state.lastEventId = id;
        if (data.length > 0) dispatch(type, data.join('\n'));
        type = 'message';
        data = [];
        id = null;
        continue;
      }
      if (line.startsWith(':')) continue; // a comment: the heartbeat
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let text = colon < 0 ? '' : line.slice(colon + 1);
      if (text.startsWith(' ')) text = text.slice(1);
      if (field === 'event') type = text;
      else if (field === 'data') data.push(text);
      else if (field === 'id') id = text;
      else if (field === 'retry' && /^\d+$/.test(text)) retry = Number(text);
    }
  }
}

function dispatch(type, json) {
  let data;
  try {
    data = JSON.parse(json);
  } catch {
    return;
  }
  switch (type) {
    case 'reset': // what follows is the whole picture
      state.nodes.clear();
      state.processes.clear();
      refreshScripts();
      break;
    case 'node':
      state.nodes.set(data.name, data);
      break;
    case 'process': {
      const k = key(data.node, data.name);
      state.processes.set(k, data);
      if (!state.scripts.has(k)) refreshScripts();
      if (isSelected(data)) readLog();
      break;
    }
    case 'process_removed':
      state.processes.delete(key(data.node, data.name));
      refreshScripts();
      break;
    case 'error':
      if (isSelected(data)) loadErrors();
      break;
    default:
      return;
  }
  scheduleRender();
}

// ---- rendering ------------------------------------------------------------------------------------------------

let renderPending = false;
function scheduleRender() {
  // A reset arrives as many events at once: draw once they are all in.
  if (renderPending) return;
  renderPending = true;
  setTimeout(() => {
    renderPending = false;
    render();
  }, 15);
}

const NOT_RUN = 'not run';

function rows() {
  const all = new Map();
  for (const [k, s] of state.scripts) all.set(k, { node: s.node, name: s.name, script: s, process: null });
  for (const [k, p] of state.processes) all.set(k, { node: p.node, name: p.name, script: all.get(k)?.script ?? null, process: p });
  return [...all.values()].sort((a, b) => a.node.localeCompare(b.node) || a.name.localeCompare(b.name));
}

function render() {
  renderNodes();
  renderProcesses();
  renderPanel();
}

function element(tag, properties = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(properties)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name.startsWith('data-') || name === 'title' || name === 'href' || name === 'target' || name === 'rel' || name === 'type' || name === 'role') node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function renderNodes() {
  const container = $('nodes');
  container.replaceChildren(
    ...[...state.nodes.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((n) =>
        element(
          'div',
          { class: 'node', 'data-node': n.name, 'data-state': n.status },
          element('div', { class: 'node-head' }, element('strong', { text: n.name }), element('span', { class: `badge node-${n.status}`, text: n.status })),
          element('div', { class: 'muted', text: n.address }),
          element('div', { class: 'counts', text: counts(n.processes) || 'no processes' }),
          n.definitions_error ? element('div', { class: 'error', text: n.definitions_error }) : null,
        ),
      ),
  );
}

function counts(byStatus) {
  return Object.entries(byStatus ?? {})
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${count} ${status}`)
    .join(' · ');
}

const rendered = new Map(); // key → { row, signature }

function renderProcesses() {
  const filter = $('filter').value.trim().toLowerCase();
  const all = rows();
  const shown = all.filter((r) => !filter || [r.node, r.name, statusOf(r), r.process?.last_line ?? '', ...(r.process?.urls ?? [])].some((t) => t.toLowerCase().includes(filter)));
  const body = $('processes').tBodies[0];
  const keep = new Set();
  let previous = null;
  for (const r of shown) {
    const k = key(r.node, r.name);
    keep.add(k);
    const signature = JSON.stringify([r.process, r.script?.command, state.outcomes.get(k), state.busy.has(k), state.me?.can_control, isSelected(r)]);
    let entry = rendered.get(k);
    if (!entry || entry.signature !== signature) {
      const row = processRow(r);
      if (entry) entry.row.replaceWith(row);
      entry = { row, signature };
      rendered.set(k, entry);
    }
    // Keep the order without moving rows that are already in place (a moved row loses a click in progress).
    const expected = previous ? previous.nextSibling : body.firstChild;
    if (expected !== entry.row) body.insertBefore(entry.row, expected);
    previous = entry.row;
  }
  for (const [k, entry] of rendered) {
    if (!keep.has(k)) {
      entry.row.remove();
      rendered.delete(k);
    }
  }
  $('empty').hidden = all.length > 0;
  const failing = all.filter((r) => r.process?.status === 'failed').length;
  const running = all.filter((r) => r.process?.status === 'running').length;
  $('summary').textContent = `${plural(all.length, 'script')} on ${plural(state.nodes.size, 'node')}: ${running} running, ${failing} failed`;
}

const statusOf = (r) => r.process?.status ?? NOT_RUN;

function processRow(r) {
  const p = r.process;
  const k = key(r.node, r.name);
  const status = statusOf(r);
  const outcome = state.outcomes.get(k);
  return element(
    'tr',
    { 'data-node': r.node, 'data-name': r.name, 'data-state': status, class: isSelected(r) ? 'selected' : '' },
    element('td', { class: 'node-cell', text: r.node }),
    element('td', {}, element('a', { class: 'name', href: route(r.node, r.name), text: r.name, title: r.script?.command ?? '' })),
    element('td', {}, stateBadge(status)),
    element('td', {}, element('span', { class: `health health-${p?.health ?? 'none'}`, text: p && p.health !== 'none' ? p.health : '–' })),
    element('td', { class: 'number', text: p?.pid ?? '–' }),
    element('td', { class: 'number restarts', text: p ? String(p.restarts) : '–' }),
    element('td', { class: 'number' }, element('span', { class: `error-count${p?.error_count > 0 ? ' has-errors' : ''}`, text: p ? String(p.error_count) : '–' })),
    element('td', { class: 'urls' }, urlLinks(p?.urls ?? [])),
    element('td', { class: 'last-action', title: p?.last_action?.at ?? '', text: lastAction(p?.last_action) }),
    element('td', { class: 'last-line', title: detail(r), text: detail(r) }),
    element(
      'td',
      { class: 'controls' },
      controls(r, status),
      outcome ? element('div', { class: `outcome${outcome.error ? ' error' : ''}`, role: 'status', text: outcome.text }) : null,
    ),
  );
}

function stateBadge(status) {
  return element('span', { class: `state state-${status.replace(' ', '-')}`, text: status });
}

function urlLinks(urls) {
  return urls
    .filter((u) => /^https?:\/\//i.test(u)) // never a javascript: link from a process's output
    .map((u) => element('a', { href: u, target: '_blank', rel: 'noopener noreferrer', text: u }));
}

function lastAction(action) {
  if (!action) return '';
  return `${action.action} by ${action.by} at ${time(action.at)}`;
}

function detail(r) {
  const p = r.process;
  if (!p) return r.script?.command ?? '';
  if (p.status === 'pending' && p.waiting_for) return `waiting for ${p.waiting_for}`;
  if (p.reason) return p.reason;
  if (p.waiting_for) return `dependency ${p.waiting_for}`;
  return plain(p.last_line ?? '');
}

const ACTIVE = new Set(['starting', 'running', 'stopping', 'pending', 'restarting']);

function controls(r, status) {
  if (!state.me?.can_control) return null;
  const busy = state.busy.has(key(r.node, r.name));
  const hasRun = status !== NOT_RUN;
  const button = (action, enabled) =>
    element('button', { type: 'button', class: `action action-${action}`, 'data-action': action, 'data-node': r.node, 'data-name': r.name, text: action, disabled: busy || !enabled });
  return element(
    'span',
    { class: 'buttons' },
    button('run', !ACTIVE.has(status)),
    button('stop', hasRun && ACTIVE.has(status)),
    button('restart', hasRun && status !== 'lost'),
  );
}

const plural = (count, noun) => `${count} ${noun}${count === 1 ? '' : 's'}`;

function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}

// Colour codes and other escape sequences, as processes print them: shown as plain text.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
const plain = (text) => text.replace(ESCAPES, '');

// ---- controls -------------------------------------------------------------------------------------------------

document.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button || button.disabled) return;
  control(button.dataset.node, button.dataset.name, button.dataset.action);
});

async function control(node, name, action) {
  const k = key(node, name);
  state.busy.add(k);
  state.outcomes.set(k, { text: `${action}…`, error: false });
  scheduleRender();
  try {
    // Without tokens the records name the caller as it names itself; with tokens the token's name wins anyway.
    const headers = { 'X-Brummer-Actor': 'dashboard' };
    const result = await api(`/api/processes/${segment(node)}/${segment(name)}/${action}`, { method: 'POST', headers });
    const p = result.process;
    const already = result.already_running ? ' (it was already running)' : '';
    state.outcomes.set(k, { text: `${action}: ${p.status}${p.pid ? ` (pid ${p.pid})` : ''}${already}`, error: false });
  } catch (error) {
    state.outcomes.set(k, { text: `${action} refused: ${error.message}`, error: true });
    if (error.status === 401) askForToken(error.message);
  } finally {
    state.busy.delete(k);
    scheduleRender();
  }
}

$('filter').addEventListener('input', scheduleRender);

// ---- the process panel ----------------------------------------------------------------------------------------

const route = (node, name) => `#/process/${segment(node)}/${segment(name)}`;
const isSelected = (x) => state.selected !== null && state.selected.node === x.node && state.selected.name === x.name;

function onRoute() {
  const match = /^#\/process\/([^/]+)\/([^/]+)$/.exec(location.hash);
  if (!match || !state.me) {
    closePanel();
    return;
  }
  const node = decodeURIComponent(match[1]);
  const name = decodeURIComponent(match[2]);
  if (state.selected && isSelected({ node, name })) return;
  openPanel(node, name);
}

window.addEventListener('hashchange', onRoute);

const follow = { key: null, afterSeq: null, reading: false, again: false, timer: null };

function openPanel(node, name) {
  closePanel();
  state.selected = { node, name };
  follow.key = key(node, name);
  follow.afterSeq = null;
  $('panel-title').textContent = `${name} on ${node}`;
  $('log').replaceChildren();
  $('log-status').textContent = '';
  $('search-results').replaceChildren();
  $('search-status').textContent = '';
  $('errors').replaceChildren();
  $('errors-count').textContent = '';
  $('process-panel').hidden = false;
  renderPanel();
  readLog();
  loadErrors();
  follow.timer = setInterval(readLog, 1000);
  scheduleRender();
  $('process-panel').scrollIntoView({ block: 'start' });
}

function closePanel() {
  clearInterval(follow.timer);
  follow.timer = null;
  follow.key = null;
  if (state.selected) {
    state.selected = null;
    scheduleRender();
  }
  $('process-panel').hidden = true;
}

$('panel-close').addEventListener('click', () => {
  history.replaceState(null, '', location.pathname + location.search);
  closePanel();
});

function renderPanel() {
  if (!state.selected) return;
  const { node, name } = state.selected;
  const k = key(node, name);
  const r = { node, name, process: state.processes.get(k) ?? null, script: state.scripts.get(k) ?? null };
  const status = statusOf(r);
  $('panel-state').replaceChildren(stateBadge(status));
  const p = r.process;
  $('panel-detail').textContent = p
    ? [p.pid ? `pid ${p.pid}` : null, plural(p.restarts, 'restart'), plural(p.error_count, 'error'), p.run ? `run ${p.run}` : null].filter(Boolean).join(' · ')
    : r.script?.command ?? '';
  $('panel-controls').replaceChildren(controls(r, status) ?? '');
  const outcome = state.outcomes.get(k);
  $('panel-outcome').textContent = outcome?.text ?? '';
  $('panel-outcome').classList.toggle('error', Boolean(outcome?.error));
}

async function readLog() {
  if (!state.selected) return;
  if (follow.reading) {
    follow.again = true; // one more read once this one is in: a change came meanwhile
    return;
  }
  follow.reading = true;
  const { node, name } = state.selected;
  const k = key(node, name);
  try {
    const query = follow.afterSeq === null ? 'lines=500' : `lines=1000&after_seq=${follow.afterSeq}`;
    const result = await api(`/api/logs/${segment(node)}/${segment(name)}?${query}`);
    if (follow.key !== k) return;
    if (follow.afterSeq !== null && result.last_seq < follow.afterSeq) {
      // The node's buffer started over (the node restarted): read it afresh.
      follow.afterSeq = null;
      $('log').replaceChildren();
      follow.again = true;
      return;
    }
    appendLog(result.lines);
    follow.afterSeq = result.last_seq;
    $('log-status').textContent = '';
  } catch (error) {
    if (follow.key !== k) return;
    if (error.status === 401) return askForToken(error.message);
    $('log-status').textContent = state.processes.has(k) ? error.message : 'not run yet: no output';
  } finally {
    follow.reading = false;
    if (follow.again && follow.key === k) {
      follow.again = false;
      readLog();
    }
  }
}

function appendLog(lines) {
  if (lines.length === 0) return;
  const log = $('log');
  const fragment = document.createDocumentFragment();
  for (const line of lines) {
    fragment.append(element('div', { class: `line ${line.stream}`, 'data-seq': String(line.seq), title: `${line.time} ${line.stream}`, text: plain(line.text) }));
  }
  log.append(fragment);
  while (log.childElementCount > LOG_LINES_KEPT) log.firstElementChild.remove();
  if ($('follow').checked) log.scrollTop = log.scrollHeight;
}

async function loadErrors() {
  if (!state.selected) return;
  const { node, name } = state.selected;
  const k = key(node, name);
  try {
    const result = await api(`/api/errors?name=${segment(name)}&node=${segment(node)}&limit=50`);
    if (follow.key !== k) return;
    $('errors-count').textContent = `(${result.errors.length} in the current run)`;
    $('errors').replaceChildren(
      ...(result.errors.length === 0
        ? [element('p', { class: 'muted', text: 'No errors detected in its current run.' })]
        : result.errors.map((e) =>
            element(
              'div',
              { class: 'error-block' },
              element('div', { class: 'error-head', text: `${e.kind} · ${e.count}× · first at ${time(e.time)} · run ${e.run}` }),
              element('pre', { text: e.block.map(plain).join('\n') }),
            ),
          )),
    );
  } catch (error) {
    if (follow.key !== k) return;
    if (error.status === 401) return askForToken(error.message);
    $('errors').replaceChildren(element('p', { class: 'error', text: error.message }));
  }
}

$('search-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!state.selected) return;
  const { node, name } = state.selected;
  const k = key(node, name);
  const query = $('search-query').value;
  const regex = $('search-regex').checked;
  $('search-status').textContent = 'searching…';
  try {
    const parameters = new URLSearchParams({ query, name, node, limit: '200' });
    if (regex) parameters.set('regex', 'true');
    const result = await api(`/api/logs?${parameters}`);
    if (follow.key !== k) return;
    $('search-status').textContent =
      `${result.lines.length} matching line${result.lines.length === 1 ? '' : 's'}, newest first` +
      (result.truncated ? ' (the search stopped early: older matches may exist)' : '');
    $('search-results').replaceChildren(
      ...result.lines.map((line) => element('div', { class: `line ${line.stream}`, text: `${time(line.time)}  ${plain(line.text)}` })),
    );
  } catch (error) {
    if (follow.key !== k) return;
    if (error.status === 401) return askForToken(error.message);
    $('search-status').textContent = error.message;
    $('search-results').replaceChildren();
  }
});

start();
