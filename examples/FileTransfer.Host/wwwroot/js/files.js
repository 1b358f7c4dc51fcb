// The stored files: list (100 a page), upload with a progress bar, download and delete.

import { api, sendWithProgress } from './api.js';
import { busy, el, formatBytes, formatTime, notify } from './ui.js';

const pageSize = 100;
const files = new Map();
let nextPageToken = '';
let changed = () => {};

const tbody = () => document.getElementById('file-rows');

/** Sets what runs when the list changes (the transfer form's file choice follows it). */
export function onFilesChanged(callback) {
  changed = callback;
}

export function knownFiles() {
  return [...files.values()];
}

export function fileName(id) {
  return files.get(id)?.name ?? id;
}

export function clearFiles() {
  files.clear();
  tbody().replaceChildren();
  document.getElementById('files-stats').textContent = '';
  document.getElementById('files-empty').hidden = true;
  changed();
}

/** Loads the first page again, or the next page when more is true. */
export async function loadFiles(more = false) {
  const query = new URLSearchParams({ limit: String(pageSize) });
  if (more && nextPageToken) {
    query.set('pageToken', nextPageToken);
  }
  const [page, stats] = await Promise.all([api(`/v1/files?${query}`), api('/v1/stats')]);
  if (!more) {
    files.clear();
    tbody().replaceChildren();
  }
  for (const file of page.items) {
    files.set(file.id, file);
    tbody().append(row(file));
  }
  nextPageToken = page.nextPageToken ?? '';
  document.getElementById('files-more').hidden = !nextPageToken;
  document.getElementById('files-stats').textContent = `${stats.totalItems} stored, ${formatBytes(stats.totalSize)}`;
  document.getElementById('files-empty').hidden = files.size > 0;
  changed();
}

function row(file) {
  return el('tr', { 'data-file': file.id },
    el('td', { text: file.name }),
    el('td', { text: formatBytes(file.size) }),
    el('td', { text: file.mimeType }),
    el('td', { text: formatTime(file.createdAt) }),
    el('td', { class: 'hash', text: file.sha256.slice(0, 12), title: file.sha256 }),
    el('td', { class: 'actions' },
      el('button', { type: 'button', text: 'Download', 'aria-label': `Download ${file.name}`, onclick: (e) => busy(e.currentTarget, () => download(file)) }),
      el('button', { type: 'button', text: 'Delete', 'aria-label': `Delete ${file.name}`, onclick: (e) => busy(e.currentTarget, () => remove(file)) })));
}

// The download needs the bearer token, which a plain link cannot send: fetch it, then save the blob.
async function download(file) {
  const response = await api(`/v1/files/${encodeURIComponent(file.id)}`, { raw: true });
  const url = URL.createObjectURL(await response.blob());
  const link = el('a', { href: url, download: file.name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  notify(`Downloaded ${file.name} (${formatBytes(file.size)}).`);
}

async function remove(file) {
  if (!confirm(`Delete ${file.name}? This cannot be undone.`)) {
    return;
  }
  await api(`/v1/files/${encodeURIComponent(file.id)}`, { method: 'DELETE' });
  notify(`Deleted ${file.name}.`);
  await loadFiles();
}

/** Uploads the file chosen in the upload form, showing its progress. */
export async function uploadFile(form) {
  const file = form.elements.file.files[0];
  const progress = document.getElementById('upload-progress');
  const button = form.querySelector('button[type=submit]');
  progress.value = 0;
  progress.hidden = false;
  try {
    const stored = await busy(button, () => sendWithProgress(`/v1/files/${encodeURIComponent(file.name)}`, {
      body: file,
      contentType: file.type || undefined,
      onProgress: (fraction) => { progress.value = fraction; },
    }));
    if (stored) {
      notify(`Uploaded ${stored.name} (${formatBytes(stored.size)}, SHA-256 ${stored.sha256.slice(0, 12)}…).`);
      form.reset();
      await busy(button, () => loadFiles());
    }
  } finally {
    progress.hidden = true;
  }
}
