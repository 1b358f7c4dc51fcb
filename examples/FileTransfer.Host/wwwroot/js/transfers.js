// Transfers started from this tab: each is followed through its event stream and shown with a progress bar.
// The host has no route that lists transfers, so the ids are kept in the tab's session storage.

import { api } from './api.js';
import { fileName } from './files.js';
import { badge, busy, el, formatBytes, notify, showError } from './ui.js';

const storageKey = 'ft.transfers';
const finished = new Set(['completed', 'failed', 'cancelled']);
const cards = new Map();
let completed = () => {};

const list = () => document.getElementById('transfer-list');
const path = (id, tail = '') => `/v1/transfers/${encodeURIComponent(id)}${tail}`;

function savedIds() {
  try {
    return JSON.parse(sessionStorage.getItem(storageKey)) ?? [];
  } catch {
    return [];
  }
}

function saveIds() {
  sessionStorage.setItem(storageKey, JSON.stringify([...cards.keys()]));
}

/** Shows the transfers this tab started before a reload. */
export async function restoreTransfers() {
  for (const id of savedIds()) {
    try {
      const transfer = await api(path(id));
      show(transfer);
      follow(id);
    } catch (error) {
      // A restarted host forgets its transfers (they are held in memory); drop those quietly.
      if (error.status !== 404) {
        showError(error);
      }
    }
  }
  saveIds();
}

/** Sets what runs when a transfer this tab follows completes (a transfer to this same host adds a file). */
export function onTransferCompleted(callback) {
  completed = callback;
}

export function clearTransfers() {
  for (const card of cards.values()) {
    card.abort?.abort();
  }
  cards.clear();
  list().replaceChildren();
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
    saveIds();
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
  }
  const before = card.transfer?.status;
  card.transfer = transfer;
  const status = transfer.status;
  if (status === 'completed' && before !== 'completed') {
    completed(transfer);
  }
  const percent = Math.round((transfer.progress ?? 0) * 100);
  card.progress.value = transfer.progress ?? 0;
  card.progress.setAttribute('aria-valuetext', `${percent}%, ${status}`);
  if (card.state.textContent !== status) {
    card.state.replaceChildren(badge(status));
  }
  card.bytes.textContent = `${percent}% · ${formatBytes(transfer.bytesTransferred)} of ${formatBytes(transfer.totalBytes)}`;
  card.error.textContent = transfer.error ?? '';
  card.cancel.disabled = finished.has(status);
  card.resume.disabled = !(status === 'failed' || status === 'cancelled');
}

function createCard(transfer) {
  const label = `${fileName(transfer.fileId)} to ${transfer.destination}`;
  const card = {
    state: el('span'),
    bytes: el('span'),
    error: el('span', { class: 'error-text' }),
    progress: el('progress', { max: '1', value: '0', 'aria-label': `Transfer of ${label}` }),
  };
  card.cancel = el('button', { type: 'button', text: 'Cancel', 'aria-label': `Cancel transfer of ${label}`, onclick: (e) => act(card, e.currentTarget, '/cancel') });
  card.resume = el('button', { type: 'button', text: 'Resume', 'aria-label': `Resume transfer of ${label}`, onclick: (e) => act(card, e.currentTarget, '/resume') });
  const forget = el('button', { type: 'button', text: 'Remove from list', 'aria-label': `Remove transfer of ${label} from the list`, onclick: () => {
    card.abort?.abort();
    card.li.remove();
    cards.delete(transfer.id);
    saveIds();
  } });
  card.li = el('li', { 'data-transfer': transfer.id },
    el('div', { text: label }),
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
