// One plugin's page (#plugin/<name>): live charts of its calls per second, p50/p99 latency and errors per method
// (from the host's own metrics, GET /v1/plugins/{name}/activity), restarts and crash reports with the tail of its
// standard error, its health history, its contracts and callback grants, the HTTP routes it declared and where it runs
// as HTTP middleware (GET /v1/extensions, the host's route table), and its configuration in a form generated
// from the package's JSON Schema (sent to PUT /v1/plugins/{name}/config). Charts are uPlot, served from this host.

import uPlot from '../lib/uplot/uPlot.esm.js';
import { api } from './api.js';
import { badge, el, formatTime, notify, showError } from './ui.js';
import { onThemeChanged } from './theme.js';
import { renderConfigForm } from './config-form.js';

const pollMs = 2000;
const windowSeconds = 120;
let current = null;

const byId = (id) => document.getElementById(id);
const path = (name, tail = '') => `/v1/plugins/${encodeURIComponent(name)}${tail}`;
const nameFromHash = () => (location.hash.startsWith('#plugin/') ? decodeURIComponent(location.hash.slice('#plugin/'.length)) : null);

/** Opens the view of the plugin the address names, or closes it. Runs at sign-in and whenever the address changes. */
export function routePluginDetail(isAdmin) {
  const name = isAdmin ? nameFromHash() : null;
  if (!name) {
    closePluginDetail();
    return;
  }
  if (current?.name !== name) {
    closePluginDetail();
    open(name);
  }
}

export function closePluginDetail() {
  if (!current) {
    return;
  }
  clearInterval(current.timer);
  current.unsubscribe();
  for (const chart of Object.values(current.charts)) {
    chart.destroy();
  }
  current = null;
  byId('plugin-detail').hidden = true;
  for (const id of ['plugins', 'files', 'transfers']) {
    byId(id).classList.remove('behind-detail');
  }
}

function open(name) {
  byId('plugin-detail').hidden = false;
  for (const id of ['plugins', 'files', 'transfers']) {
    byId(id).classList.add('behind-detail');
  }
  byId('detail-name').textContent = name;
  byId('detail-config').replaceChildren();
  current = { name, charts: {}, last: null, plugin: null, configShownFor: null };
  current.unsubscribe = onThemeChanged(() => current && redrawCharts(current));
  refresh(current);
  current.timer = setInterval(() => refresh(current), pollMs);
  byId('detail-title').focus();
}

async function refresh(view) {
  try {
    const [list, activity, extensions] = await Promise.all([
      api('/v1/plugins'),
      api(path(view.name, `/activity?seconds=${windowSeconds}`)),
      api('/v1/extensions'),
    ]);
    if (current !== view) {
      return;
    }
    const plugin = list.plugins.find((p) => p.name === activity.plugin);
    if (!plugin) {
      return;
    }
    renderChain(view, plugin, list.plugins.filter((p) => p.type === plugin.type));
    view.plugin = plugin;
    view.last = activity;
    renderSummary(plugin, activity);
    renderExtensions(plugin.name, extensions);
    renderCharts(view, activity);
    renderHistory(activity);
    if (view.configShownFor !== plugin.metadata?.version) {
      // The form is built once per version, so a poll never wipes what is being typed.
      view.configShownFor = plugin.metadata?.version;
      byId('detail-config').replaceChildren(renderConfigForm(plugin, (config) => saveConfig(view, config)));
    }
  } catch (error) {
    if (current === view) {
      showError(error);
      if (error.status === 404) {
        location.hash = '';
      }
    }
  }
}

async function saveConfig(view, config) {
  const plugin = await api(path(view.name, '/config'), { method: 'PUT', json: config });
  notify(`Saved the configuration of ${view.name}; it is ${plugin.status}.`);
  return plugin;
}

function renderSummary(plugin, activity) {
  const facts = [
    ['Status', badge(plugin.status)],
    ['Type', plugin.type],
    ['Version', plugin.metadata?.version ?? ''],
    ['Source', plugin.source],
    ['Priority', String(plugin.priority)],
    ['PID', plugin.pid ? String(plugin.pid) : '–'],
    ['Restarts', String(plugin.restartCount)],
  ];
  byId('detail-facts').replaceChildren(...facts.flatMap(([term, value]) => [el('dt', { text: term }), el('dd', {}, value)]));
  byId('detail-description').textContent = plugin.metadata?.description ?? '';
  // A typed plugin serves its type's contract; a custom one (or one that claims more) names its services.
  const contracts = [...new Set([...(builtInContracts[plugin.type] ? [builtInContracts[plugin.type]] : []), ...(activity.services ?? [])])];
  listInto('detail-services', contracts, 'It names no service.');
  listInto('detail-grants', activity.callbackGrants, 'It may call no host callbacks.');
  byId('detail-last-error').textContent = plugin.lastError || 'None.';
  const stderr = byId('detail-stderr');
  stderr.textContent = activity.stderrTail || '(nothing written to standard error)';
  const totals = byId('detail-method-rows');
  totals.replaceChildren(...activity.methods.map((m) => {
    const latest = [...m.points].reverse().find((p) => p.p50Ms !== null);
    return el('tr', {},
      el('th', { scope: 'row', text: m.method }),
      el('td', { text: String(m.totalCalls) }),
      el('td', { text: String(m.totalErrors) }),
      el('td', { text: latest ? `${latest.p50Ms} ms` : '–' }),
      el('td', { text: latest ? `${latest.p99Ms} ms` : '–' }));
  }));
  byId('detail-no-calls').hidden = activity.methods.length > 0;
}

// The routes the plugin declared (mounted, or refused with the host's reason) and its middleware stage and priority.
function renderExtensions(name, extensions) {
  const mine = (item) => item.plugin.toLowerCase() === name.toLowerCase();
  const routes = extensions.routes.filter(mine).map((route) => el('li', {},
    el('code', { text: `${route.method} ${route.path}` }), ' ',
    route.refused ? el('span', { class: 'error-text', text: `refused: ${route.refused}` }) : el('span', { class: 'muted', text: `${route.gate} access` })));
  byId('detail-routes').replaceChildren(...(routes.length ? routes : [el('li', { class: 'muted', text: 'It declares no HTTP routes.' })]));
  const middleware = extensions.middleware.filter(mine).map((position) => el('li', {}, `Runs ${position.stage}, priority ${position.priority}`));
  byId('detail-middleware').replaceChildren(...(middleware.length ? middleware : [el('li', { class: 'muted', text: 'It runs as no HTTP middleware (or the host has not yet asked it where).' })]));
}

const builtInContracts = {
  auth: 'grpcplugins.auth.v1.AuthService',
  storage: 'grpcplugins.storage.v1.StorageService',
  protocol: 'grpcplugins.protocol.v1.ProtocolService',
  monitor: 'grpcplugins.monitor.v1.MonitorService',
};

function listInto(id, items, empty) {
  const list = byId(id);
  list.replaceChildren(...(items?.length ? items.map((item) => el('li', {}, el('code', { text: item }))) : [el('li', { class: 'muted', text: empty })]));
}

function renderHistory(activity) {
  const items = [...activity.history].reverse().map((event) => el('li', {},
    el('time', { datetime: event.at, text: formatTime(event.at) }), ' ',
    event.kind === 'restart' ? el('strong', { text: `restarted (${event.detail})` }) : badge(event.detail)));
  byId('detail-history').replaceChildren(...(items.length ? items : [el('li', { class: 'muted', text: 'No state change seen since the host started.' })]));
}

// --- its place in the chain of its type --------------------------------------------------------------------------

// The plugins of one type are called in priority order (lower first); a package plugin can be moved in that order.
function renderChain(view, plugin, peers) {
  const key = peers.map((p) => `${p.name}:${p.priority}`).join('|');
  if (view.chainKey === key) {
    return;
  }
  view.chainKey = key;
  const index = peers.findIndex((p) => p.name === plugin.name);
  const list = byId('detail-chain');
  list.replaceChildren(...peers.map((p) => el('li', { 'aria-current': p.name === plugin.name ? 'true' : undefined },
    el('span', { text: p.name }), ' ', el('small', { class: 'muted', text: `priority ${p.priority}${p.source === 'builtin' ? ', built-in' : ''}` }))));
  const movable = plugin.source === 'package';
  const buttons = byId('detail-move');
  const move = (label, position, enabled) => el('button', {
    type: 'button',
    text: label,
    disabled: !movable || !enabled,
    onclick: (event) => busyMove(event.currentTarget, view, position),
  });
  buttons.replaceChildren(
    move('Move to front', 'front', index > 0),
    move('Move up', index > 0 ? `before:${peers[index - 1].name}` : '', index > 0),
    move('Move down', index < peers.length - 1 ? `after:${peers[index + 1].name}` : '', index < peers.length - 1),
    move('Move to back', 'rear', index < peers.length - 1));
  byId('detail-move-note').textContent = movable
    ? `${plugin.name} is number ${index + 1} of ${peers.length} ${plugin.type} plugins; a move takes effect at once and is kept.`
    : 'A built-in plugin\'s priority is set in the host\'s appsettings.json (Plugins:<name>:Priority).';
}

async function busyMove(button, view, position) {
  try {
    const plugin = await api(path(view.name, '/move'), { method: 'PUT', json: { position } });
    notify(`Moved ${view.name}: its priority is now ${plugin.priority}.`);
    view.chainKey = null;
    await refresh(view);
    byId('detail-move').querySelector('button:not(:disabled)')?.focus();
  } catch (error) {
    showError(error);
  }
}

// --- charts -------------------------------------------------------------------------------------------------------

const chartSpecs = {
  calls: { title: 'Calls per second', unit: '/s', value: (p) => p.calls },
  latency: { title: 'Latency p50 and p99 (ms)', unit: ' ms' },
  errors: { title: 'Errors per second', unit: '/s', value: (p) => p.errors },
};

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

const palette = ['#0a58ca', '#bf3989', '#1a7f37', '#9a6700', '#8250df', '#cf222e'];

function seriesFor(kind, methods) {
  if (kind === 'latency') {
    return methods.flatMap((m, i) => [
      { label: `${shortName(m.method)} p50`, stroke: palette[i % palette.length], width: 2, spanGaps: true },
      { label: `${shortName(m.method)} p99`, stroke: palette[i % palette.length], width: 1, dash: [6, 4], spanGaps: true },
    ]);
  }
  return methods.map((m, i) => ({ label: shortName(m.method), stroke: palette[i % palette.length], width: 2, fill: kind === 'errors' ? 'rgba(207,34,46,.08)' : undefined }));
}

function dataFor(kind, activity) {
  const xs = activity.methods[0]?.points.map((p) => p.t) ?? [];
  if (kind === 'latency') {
    return [xs, ...activity.methods.flatMap((m) => [m.points.map((p) => p.p50Ms), m.points.map((p) => p.p99Ms)])];
  }
  return [xs, ...activity.methods.map((m) => m.points.map(chartSpecs[kind].value))];
}

const shortName = (method) => method.split('.').pop();

function renderCharts(view, activity) {
  const methodsKey = activity.methods.map((m) => m.method).join('|');
  if (view.methodsKey !== methodsKey) {
    // Series are fixed when a chart is made: a newly called method means new charts.
    view.methodsKey = methodsKey;
    redrawCharts(view);
    return;
  }
  for (const [kind, chart] of Object.entries(view.charts)) {
    chart.setData(dataFor(kind, activity));
    describe(kind, activity);
  }
}

function redrawCharts(view) {
  for (const chart of Object.values(view.charts)) {
    chart.destroy();
  }
  view.charts = {};
  const activity = view.last;
  if (!activity || activity.methods.length === 0) {
    for (const kind of Object.keys(chartSpecs)) {
      byId(`chart-${kind}`).replaceChildren(el('p', { class: 'empty', text: 'No calls yet: this chart fills in as the host calls the plugin.' }));
      byId(`chart-${kind}`).dataset.points = '0';
    }
    return;
  }
  const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--line'), width: 1 }, ticks: { stroke: cssVar('--line') } };
  for (const [kind, spec] of Object.entries(chartSpecs)) {
    const box = byId(`chart-${kind}`);
    box.replaceChildren();
    const width = Math.max(280, Math.min(box.clientWidth || 560, 720));
    view.charts[kind] = new uPlot({
      width,
      height: 200,
      title: spec.title,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(kind === 'latency' ? 1 : 1, max * 1.1)] } },
      axes: [{ ...axis }, { ...axis, values: (u, values) => values.map((v) => `${+v.toFixed(2)}${spec.unit}`), size: 70 }],
      series: [{ label: 'time' }, ...seriesFor(kind, activity.methods)],
      legend: { live: false },
    }, dataFor(kind, activity), box);
    describe(kind, activity);
  }
}

// A chart is a picture: its text alternative says the latest values, and data-points how many it drew (the tests read it).
function describe(kind, activity) {
  const box = byId(`chart-${kind}`);
  let drawn = 0;
  const parts = activity.methods.map((m) => {
    const busy = m.points.filter((p) => p.calls > 0);
    drawn += busy.length;
    const last = busy.at(-1);
    if (!last) {
      return `${shortName(m.method)}: no calls in the last ${activity.seconds} s`;
    }
    if (kind === 'latency') {
      return `${shortName(m.method)}: p50 ${last.p50Ms} ms, p99 ${last.p99Ms} ms`;
    }
    const total = busy.reduce((sum, p) => sum + chartSpecs[kind].value(p), 0);
    return `${shortName(m.method)}: ${(total / activity.seconds).toFixed(2)}${chartSpecs[kind].unit} on average`;
  });
  box.dataset.points = String(drawn);
  box.setAttribute('aria-label', `${chartSpecs[kind].title}, last ${activity.seconds} seconds. ${parts.join('; ')}.`);
}
