// The dashboard's entry point: sign-in and sign-out, and which sections a user sees. Plugin management is for
// users with the admin role; everyone signed in sees files and transfers.

import { api, clearSession, currentSession, onSessionEnded, saveSession } from './api.js';
import { clearFiles, knownFiles, loadFiles, onFilesChanged, uploadFile } from './files.js';
import { installPackage, startPlugins, stopPlugins } from './plugins.js';
import { clearTransfers, onTransferCompleted, startTransfer, startTransfers } from './transfers.js';
import { busy, clearError, el, notify, showError, syncNeeds } from './ui.js';
import './theme.js';
import { closePluginDetail, routePluginDetail } from './plugin-detail.js';

const byId = (id) => document.getElementById(id);

function enter(session) {
  byId('login').hidden = true;
  byId('app').hidden = false;
  byId('whoami').hidden = false;
  byId('user-name').textContent = session.user.username;
  byId('user-roles').textContent = session.user.roles.join(', ') || 'no role';
  if (session.user.roles.includes('admin')) {
    startPlugins();
  } else {
    stopPlugins();
  }
  routePluginDetail(session.user.roles.includes('admin'));
  // Transfers are named by their files, so the files come first.
  loadFiles().catch(showError).finally(startTransfers);
}

function leave() {
  clearSession();
  closePluginDetail();
  stopPlugins();
  clearFiles();
  clearTransfers();
  byId('app').hidden = true;
  byId('whoami').hidden = true;
  byId('login').hidden = false;
  byId('login-password').value = '';
  byId('login-username').focus();
}

// The transfer form offers the listed files.
onFilesChanged(() => {
  const select = byId('transfer-file');
  const chosen = select.value;
  select.replaceChildren(...knownFiles().map((file) => el('option', { value: file.id, text: file.name })));
  if (knownFiles().some((file) => file.id === chosen)) {
    select.value = chosen;
  }
  document.getElementById('transfer-send-hint').hidden = knownFiles().length > 0;
  syncNeeds();
});

onTransferCompleted(() => loadFiles().catch(showError));

onSessionEnded((error) => {
  leave();
  showError({ ...error, message: `Your session has ended: ${error.message}` });
});

function onSubmit(id, handler) {
  byId(id).addEventListener('submit', (event) => {
    event.preventDefault();
    handler(event.currentTarget).catch(showError);
  });
}

onSubmit('login-form', async (form) => {
  const credentials = { username: form.elements.username.value, password: form.elements.password.value };
  const session = await busy(form.querySelector('button[type=submit]'), () => api('/v1/auth/login', { method: 'POST', json: credentials }));
  if (session) {
    saveSession(session);
    clearError();
    enter(session);
    notify(`Signed in as ${session.user.username}.`);
  }
});
onSubmit('upload-form', uploadFile);
onSubmit('package-form', installPackage);
onSubmit('transfer-form', startTransfer);

byId('logout').addEventListener('click', async () => {
  // Revoking the token is a courtesy to the host; the tab forgets it either way.
  await api('/v1/auth/logout', { method: 'POST' }).catch(() => {});
  leave();
  notify('Signed out.');
});
byId('files-refresh').addEventListener('click', (event) => busy(event.currentTarget, () => loadFiles()));
byId('files-more').addEventListener('click', (event) => busy(event.currentTarget, () => loadFiles(true)));

// A plugin's name links to #plugin/<name>, its detail view; any other address is the main page.
window.addEventListener('hashchange', () => {
  const signedIn = currentSession();
  routePluginDetail(Boolean(signedIn?.token) && signedIn.user.roles.includes('admin'));
});

const session = currentSession();
if (session?.token) {
  enter(session);
}
