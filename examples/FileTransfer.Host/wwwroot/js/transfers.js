// The transfers this host has started (GET /v1/transfers, asked again every few seconds), newest first, each with a
// progress bar. A running transfer is also followed through its event stream, so its bar moves as it goes.
// "Remove from list" hides a transfer in this tab only; the ids hidden are kept in the tab's session storage.

import { api } from './api.js';
import { fileName } from './files.js';
import { badge, busy, el, formatBytes, formatDuration, formatTime, notify, showError } from './ui.js';

const hiddenKey = 'ft.transfers.hidden';
const pollMs = 3000;
const finished = new Set(['completed', 'failed', 'cancelled']);
const cards = new Map();
let completed = () => {};
let timer;

const list = () => document.getElementById('transfer-list');
const path = (id, tail = '') => `/v1/transfers/${encodeURIComponent(id)}${tail}`;

function hiddenIds() {
  try {
    return new Set(JSON.parse(sessionStorage.getItem(hiddenKey)) ?? []);
  } catch {
    return new Set();
  }
}

function hide(id) {
  sessionStorage.setItem(hiddenKey, JSON.stringify([...hiddenIds().add(id)]));
}

/** Lists the host's transfers now and every few seconds until clearTransfers. */
export function startTransfers() {
  loadTransfers().catch(showError);
  timer ??= setInterval(() => loadTransfers().catch(showError), pollMs);
}

async function loadTransfers() {
  const { transfers } = await api('/v1/transfers');
  const hidden = hiddenIds();
  // Oldest first, so that each new card, put on top, leaves the newest first.
  for (const transfer of [...transfers].reverse()) {
    const card = cards.get(transfer.id);
    if (hidden.has(transfer.id) || card?.following) {
      continue;
    }
    show(transfer);
    follow(transfer.id);
  }
  showEmpty();
}

function showEmpty() {
  document.getElementById('transfers-empty').hidden = cards.size > 0;
}

/** Sets what runs when a transfer this tab follows completes (a transfer to this same host adds a file). */
export function onTransferCompleted(callback) {
  completed = callback;
}

export function clearTransfers() {
  clearInterval(timer);
  timer = undefined;
  for (const card of cards.values()) {
    card.abort?.abort();
  }
  cards.clear();
  list().replaceChildren();
  document.getElementById('transfers-empty').hidden = true;
}

/** Starts the transfer described by the transfer form. */
export async function startTransfer(form) {
  const data = new FormData(form);
  const body = { fileId: data.get('fileId'), destination: data.get('destination') };
  for (const optional of ['destinationToken', 'protocol']) {
    if (data.get(optional)) {
      body[optional] = data.get(optional);
    }
  }
  const transfer = await busy(form.querySelector('button[type=submit]'), () => api('/v1/transfers', { method: 'POST', json: body }));
  if (transfer) {
    show(transfer);
    follow(transfer.id);
    notify(`Started sending ${fileName(transfer.fileId)} to ${transfer.destination}.`);
  }
}

function show(transfer) {
  let card = cards.get(transfer.id);
  if (!card) {
    card = createCard(transfer);
    cards.set(transfer.id, card);
    list().prepend(card.li);
    showEmpty();
  }
  const before = card.transfer?.status;
  card.transfer = transfer;
  const status = transfer.status;
  // Only a change seen here counts: a transfer first listed already completed added its file before this tab looked.
  if (status === 'completed' && before && before !== 'completed') {
    completed(transfer);
  }
  const percent = Math.round((transfer.progress ?? 0) * 100);
  card.progress.value = transfer.progress ?? 0;
  card.progress.setAttribute('aria-valuetext', `${percent}%, ${status}`);
  if (card.state.textContent !== status) {
    card.state.replaceChildren(badge(status));
  }
  card.bytes.textContent = `${percent}% · ${formatBytes(transfer.bytesTransferred)} of ${formatBytes(transfer.totalBytes)}`;
  card.when.textContent = timing(transfer);
  card.error.textContent = transfer.error ?? '';
  card.cancel.disabled = finished.has(status);
  card.resume.disabled = !(status === 'failed' || status === 'cancelled');
}

// When it started, how long it ran, and its average speed: two sends of the same file differ here and by id.
function timing(transfer) {
  if (!transfer.startedAt) {
    return 'not started yet';
  }
  const started = new Date(transfer.startedAt);
  const end = transfer.finishedAt ? new Date(transfer.finishedAt) : new Date();
  const seconds = Math.max(0, (end - started) / 1000);
  const parts = [`started ${formatTime(transfer.startedAt)}`];
  parts.push(transfer.finishedAt ? `took ${formatDuration(seconds)}` : `running for ${formatDuration(seconds)}`);
  if (seconds > 0 && transfer.bytesTransferred > 0) {
    parts.push(`${formatBytes(Math.round(transfer.bytesTransferred / seconds))}/s`);
  }
  return parts.join(' · ');
}

function createCard(transfer) {
  const label = `${fileName(transfer.fileId)} to ${transfer.destination}`;
  const card = {
    state: el('span'),
    bytes: el('span'),
    error: el('span', { class: 'error-text' }),
    when: el('span', { class: 'when' }),
    progress: el('progress', { max: '1', value: '0', 'aria-label': `Transfer of ${label}` }),
  };
  card.cancel = el('button', { type: 'button', text: 'Cancel', 'aria-label': `Cancel transfer of ${label}`, onclick: (e) => act(card, e.currentTarget, '/cancel') });
  card.resume = el('button', { type: 'button', text: 'Resume', 'aria-label': `Resume transfer of ${label}`, onclick: (e) => act(card, e.currentTarget, '/resume') });
  const forget = el('button', { type: 'button', text: 'Remove from list', 'aria-label': `Remove transfer of ${label} from the list`, onclick: () => {
    card.abort?.abort();
    card.li.remove();
    cards.delete(transfer.id);
    hide(transfer.id);
    showEmpty();
  } });
  card.li = el('li', { 'data-transfer': transfer.id },
    el('div', { text: label }),
    el('div', { class: 'meta' }, el('span', {}, 'id ', el('code', { text: transfer.id })), card.when),
    card.progress,
    el('div', { class: 'detail' }, card.state, card.bytes, card.cancel, card.resume, forget, card.error));
  return card;
}

async function act(card, button, tail) {
  const transfer = await busy(button, () => api(path(card.transfer.id, tail), { method: 'POST' }));
  if (transfer) {
    show(transfer);
    if (tail === '/resume') {
      follow(transfer.id);
    }
  }
}

// EventSource cannot send the bearer token, so the event stream is read with fetch.
async function follow(id) {
  const card = cards.get(id);
  if (!card || finished.has(card.transfer.status)) {
    return;
  }
  card.abort?.abort();
  const abort = new AbortController();
  card.abort = abort;
  card.following = true;
  try {
    const response = await api(path(id, '/events'), { raw: true, signal: abort.signal });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        break;
      }
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
        if (data) {
          show(JSON.parse(data));
        }
      }
    }
  } catch (error) {
    if (error.name === 'AbortError') {
      return;
    }
    showError(error);
  } finally {
    if (card.abort === abort) {
      card.following = false;
    }
  }
  // The stream ended: ask once more, so the card shows the final state even if the last event was missed.
  if (cards.get(id) === card) {
    try {
      show(await api(path(id)));
    } catch (error) {
      showError(error);
    }
  }
}
