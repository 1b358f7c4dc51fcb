// The admin's plugin list: polled every two seconds so states (starting, running, crashed, ...) stay current,
// with package upload and start, stop, disable and uninstall buttons.

import { api } from './api.js';
import { badge, busy, el, notify, showError } from './ui.js';
import { nodeStates, renderNodes } from './nodes.js';

const pollMs = 2000;
const rows = new Map();
let timer = null;
let lastPollError = '';

const section = () => document.getElementById('plugins');
const tbody = () => document.getElementById('plugin-rows');
const path = (name) => `/v1/plugins/${encodeURIComponent(name)}`;
// The list before issue 6's plugin management called the state "state"; the EMQX-shaped one calls it "status".
const statusOf = (plugin) => plugin.status ?? plugin.state ?? 'unknown';

export function startPlugins() {
  section().hidden = false;
  refreshPlugins();
  timer ??= setInterval(refreshPlugins, pollMs);
}

export function stopPlugins() {
  clearInterval(timer);
  timer = null;
  rows.clear();
  tbody().replaceChildren();
  section().hidden = true;
  renderNodes(null);
}

export async function refreshPlugins() {
  try {
    // The Nodes section shows only in a cluster (GET /v1/nodes says so).
    const [list, extensions, nodes] = await Promise.all([api('/v1/plugins'), api('/v1/extensions').catch(() => null), api('/v1/nodes').catch(() => null)]);
    // Signed out while the request was under way: the section is closed and stays empty.
    if (timer === null) {
      return;
    }
    render(list, extensions);
    renderNodes(nodes);
    lastPollError = '';
  } catch (error) {
    if (error.status === 403) {
      // Not an admin after all (roles changed): plugin management is not for this user.
      stopPlugins();
      return;
    }
    // A failing poll repeats every two seconds; say so once, not every time.
    if (error.message !== lastPollError && timer !== null) {
      lastPollError = error.message;
      showError(error);
    }
  }
}

function render(list, extensions) {
  document.getElementById('plugins-node').textContent = list.node ? `on node ${list.node}` : '';
  const names = new Set();
  for (const plugin of list.plugins ?? []) {
    names.add(plugin.name);
    const row = rows.get(plugin.name) ?? createRow(plugin.name);
    update(row, plugin);
    showExtensions(row, plugin.name, extensions);
  }
  for (const [name, row] of rows) {
    if (!names.has(name)) {
      row.tr.remove();
      rows.delete(name);
    }
  }
  // Reorder only when the order changed: moving a row would take the keyboard focus off its buttons.
  const wanted = (list.plugins ?? []).map((p) => rows.get(p.name).tr);
  const body = tbody();
  if (wanted.some((tr, i) => body.children[i] !== tr)) {
    body.replaceChildren(...wanted);
  }
  document.getElementById('plugins-empty').hidden = rows.size > 0;
  document.getElementById('plugins-updated').textContent = `Updated ${new Date().toLocaleTimeString()}; refreshed every ${pollMs / 1000} seconds.`;
}

function createRow(name) {
  const cells = {};
  // The classes name the cells that styles and the browser tests look for, whatever columns come before them.
  const classes = { state: 'state-cell', pid: 'pid-cell', extends: 'extends', lastError: 'error-text' };
  for (const key of ['name', 'type', 'version', 'source', 'priority', 'state', 'nodes', 'pid', 'restarts', 'extends', 'lastError']) {
    cells[key] = el('td', classes[key] ? { class: classes[key] } : {});
  }
  const row = { tr: null, cells, busy: false, plugin: null };
  const action = (label, handler) => el('button', {
    type: 'button',
    text: label,
    'aria-label': `${label} ${name}`,
    onclick: (event) => act(row, event.currentTarget, handler),
  });
  row.buttons = {
    start: action('Start', () => setStatus(name, 'running')),
    stop: action('Stop', () => confirmAuth(row, 'Stop') && setStatus(name, 'stopped')),
    disable: action('Disable', () => confirmAuth(row, 'Disable') && setStatus(name, 'disabled')),
    uninstall: action('Uninstall', () => uninstall(name)),
  };
  row.tr = el('tr', { 'data-plugin': name }, ...Object.values(cells), el('td', { class: 'actions' }, ...Object.values(row.buttons)));
  rows.set(name, row);
  return row;
}

function update(row, plugin) {
  const status = statusOf(plugin);
  const { cells } = row;
  row.plugin = plugin;
  if (cells.name.textContent !== plugin.name) {
    // The name opens the plugin's detail view (plugin-detail.js).
    cells.name.replaceChildren(el('a', { href: `#plugin/${encodeURIComponent(plugin.name)}`, text: plugin.name, 'aria-label': `Details of ${plugin.name}` }));
  }
  cells.name.title = plugin.metadata?.description ?? '';
  cells.type.textContent = plugin.type ?? '';
  cells.version.textContent = plugin.metadata?.version ?? '';
  cells.source.textContent = plugin.source ?? '';
  cells.priority.textContent = plugin.priority ?? '';
  if (cells.state.textContent !== status) {
    cells.state.replaceChildren(badge(status));
  }
  const perNode = (plugin.nodeStatus ?? []).map((s) => `${s.node}:${s.status}:${s.version ?? ''}`).join(' ');
  if (cells.nodes.dataset.states !== perNode) {
    cells.nodes.dataset.states = perNode;
    cells.nodes.replaceChildren(...nodeStates(plugin));
  }
  cells.pid.textContent = plugin.pid ?? '';
  cells.restarts.textContent = plugin.restartCount ?? '';
  cells.lastError.textContent = plugin.lastError ?? '';
  if (!row.busy) {
    enableFor(row, plugin, status);
  }
}

// The routes a plugin adds (method, path, gate; refused ones with the reason) and where its middleware runs, one per line.
function showExtensions(row, name, extensions) {
  const lines = [];
  for (const m of extensions?.middleware ?? []) {
    if (m.plugin === name) {
      lines.push(`middleware ${m.stage}, priority ${m.priority}`);
    }
  }
  for (const r of extensions?.routes ?? []) {
    if (r.plugin === name) {
      lines.push(`${r.method} ${r.path} (${r.gate})${r.refused ? ` refused: ${r.refused}` : ''}`);
    }
  }
  const text = lines.join('\n');
  if (row.cells.extends.textContent !== text) {
    row.cells.extends.textContent = text;
  }
}

// Buttons that cannot apply are disabled, with the reason as a tooltip; the API still decides and says why not.
function enableFor(row, plugin, status) {
  const builtin = plugin.source === 'builtin';
  const { start, stop, disable, uninstall } = row.buttons;
  start.disabled = status === 'running' || status === 'starting';
  stop.disabled = status === 'stopped' || status === 'disabled';
  disable.disabled = status === 'disabled' || builtin;
  uninstall.disabled = builtin;
  const why = builtin ? 'Built-in plugins come from appsettings.json: they can be stopped and started, not disabled or uninstalled.' : '';
  disable.title = why;
  uninstall.title = why;
}

async function act(row, button, handler) {
  row.busy = true;
  for (const other of Object.values(row.buttons)) {
    other.disabled = true;
  }
  try {
    await busy(button, handler);
  } finally {
    row.busy = false;
    await refreshPlugins();
  }
}

// Every request, including the one that would start it again, is checked by an auth plugin.
function confirmAuth(row, verb) {
  return row.plugin?.type !== 'auth' || confirm(`${verb} the auth plugin ${row.plugin.name}? Requests it decides, including signing in and starting it again, then fail, and you may need to restart the host.`);
}

async function setStatus(name, status) {
  const plugin = await api(path(name), { method: 'PUT', json: { status } });
  notify(`Plugin ${name} is ${statusOf(plugin ?? {}) === 'unknown' ? `set to ${status}` : statusOf(plugin)}.`);
}

async function uninstall(name) {
  if (!confirm(`Uninstall plugin ${name}? It is stopped and its files and settings are removed.`)) {
    return;
  }
  await api(path(name), { method: 'DELETE' });
  notify(`Plugin ${name} was uninstalled.`);
}

/** Installs the package chosen in the package form. */
export async function installPackage(form) {
  const file = form.elements.package.files[0];
  if (!file) {
    showError({ message: 'Choose a plugin package (.zip) first.' });
    return;
  }
  const button = form.querySelector('button[type=submit]');
  const plugin = await busy(button, () => uploadPackage(file));
  if (plugin) {
    const version = plugin.metadata?.version ? ` ${plugin.metadata.version}` : '';
    notify(`${plugin.name} may use: ${describeSandbox(plugin.sandbox)}.`);
    // A newer version of a listed plugin upgrades it in place (a running one without downtime); the row still shows the old.
    const row = document.querySelector(`tr[data-plugin="${CSS.escape(plugin.name)}"]`);
    if (row) {
      notify(`Upgraded ${plugin.name} from ${row.cells[2].textContent} to${version}; it is ${statusOf(plugin)}.`);
    } else {
      notify(`Installed ${plugin.name}${version}; it is ${statusOf(plugin)}. Use its Start button to run it.`);
    }
    form.reset();
  }
  await refreshPlugins();
}

// Uploads a package; an upgrade that asks for more than the installed version may use is refused (409) listing what
// widens, and sent again only once the admin accepts, as a phone asks before an app gets new permissions.
async function uploadPackage(file) {
  const send = (accept) => api(`/v1/plugins/upload${accept ? '?acceptPermissions=true' : ''}`, {
    method: 'POST',
    body: file,
    headers: { 'Content-Type': 'application/zip' },
  });
  try {
    return await send(false);
  } catch (error) {
    if (error?.code !== 'failed_precondition' || !String(error.message).includes('acceptPermissions')) {
      throw error;
    }
    return confirm(`${error.message}\n\nAccept these permissions and upgrade?`) ? send(true) : undefined;
  }
}

/** One line for a plugin's sandbox as its package declares it, and how this host enforces it while it runs. */
export function describeSandbox(sandbox) {
  const resources = Object.entries(sandbox?.resources ?? {}).filter(([, v]) => v !== null).map(([k, v]) => `${k} ${v}`);
  const permissions = sandbox?.permissions;
  const files = permissions && (permissions.read || permissions.write)
    ? `files: read ${(permissions.read ?? []).join(', ') || 'nothing more'}, write ${(permissions.write ?? []).join(', ') || 'nothing'}`
    : 'files: unconfined';
  const network = `network: ${permissions?.network ?? 'any'}`;
  const callbacks = permissions?.callbacks?.length ? `callbacks: ${permissions.callbacks.join(', ')}` : null;
  const missing = sandbox?.enforced?.notEnforced?.length ? `NOT enforced here: ${sandbox.enforced.notEnforced.join('; ')}` : null;
  return [resources.length ? resources.join(', ') : 'no resource limits', files, network, callbacks, missing].filter(Boolean).join('; ');
}

