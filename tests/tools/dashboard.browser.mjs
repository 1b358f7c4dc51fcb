// Browser test of the dashboard (examples/FileTransfer.Host/wwwroot) in Debian's chromium, driven by playwright-core.
// Run by tests/FileTransfer.FunctionalTests/DashboardTests.cs against a real host it started; it can also be run by
// hand against any host:
//   FT_URL=http://127.0.0.1:5080 FT_ADMIN_PASSWORD=... FT_READER=bob FT_READER_PASSWORD=... node tests/tools/dashboard.browser.mjs
// Environment: FT_URL, FT_ADMIN_PASSWORD (user "admin"), optional FT_READER and FT_READER_PASSWORD (a user without
// the admin role), optional FT_PACKAGE and FT_PACKAGE_NAME (a plugin package .zip the host accepts, and its name),
// optional FT_SCREENSHOT (default tests/artifacts/dashboard.png), CHROMIUM (default /usr/bin/chromium).
// Prints one "ok - ..." line per check and exits non-zero at the first failure.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const baseUrl = required('FT_URL');
const adminPassword = required('FT_ADMIN_PASSWORD');
const screenshot = resolve(process.env.FT_SCREENSHOT ?? join(here, '..', 'artifacts', 'dashboard.png'));
const builtIn = ['users', 'files', 'http', 'audit', 'scanner'];
const wait = { timeout: 20_000 };

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`Set ${name}; see the comment at the top of ${fileURLToPath(import.meta.url)}.`);
    process.exit(2);
  }
  return value;
}

function ok(text) {
  console.log(`ok - ${text}`);
}

// The API's own answer, to compare with what the page shows.
async function apiJson(path, init = {}) {
  const response = await fetch(new URL(path, baseUrl), init);
  return { status: response.status, body: await response.json() };
}

async function signIn(page, username, password) {
  await page.goto(baseUrl);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in as ${username}`).first().waitFor(wait);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  // Chromium's sandbox refuses to run as root, as CI containers do.
  args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
});
const work = mkdtempSync(join(tmpdir(), 'ft-dashboard-'));
let page;
try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
  page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      consoleErrors.push(message.text());
    }
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));

  const shot = (name) => page.screenshot({ path: screenshot.replace(/\.png$/, `-${name}.png`), fullPage: true });

  // Signed out: the header says nothing about a user (no "Signed in as ()").
  await page.goto(baseUrl);
  await page.getByLabel('Username').waitFor(wait);
  assert.equal(await page.getByText('Signed in as').isVisible(), false, 'the signed-out header shows "Signed in as"');
  assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0, 'the signed-out header offers Sign out');
  mkdirSync(dirname(screenshot), { recursive: true });
  await shot('signed-out');
  ok('signed out, the header shows no \'Signed in as\'');

  // A wrong password: the API's problem message is shown in the alert region.
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const refused = await apiJson('/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'not-the-password' }),
  });
  assert.equal(refused.status, 401);
  const alert = page.getByRole('alert');
  await alert.getByText(refused.body.message, { exact: false }).waitFor(wait);
  assert.match(await alert.innerText(), /HTTP 401, unauthenticated/);
  ok('a wrong password shows the API\'s message in the alert region');

  // Admin: the plugin list with the five default plugins running.
  await signIn(page, 'admin', adminPassword);
  const plugins = page.getByRole('region', { name: /Plugins/ });
  for (const name of builtIn) {
    await plugins.locator(`tr[data-plugin="${name}"] td.state-cell .state-running`).waitFor(wait);
  }
  ok(`admin sees the plugins ${builtIn.join(', ')} running`);
  // The content scanner is the file-transfer host's own plugin type, not a built-in one.
  assert.equal(await plugins.locator('tr[data-plugin="scanner"] td').nth(1).innerText(), 'custom');
  ok('the content scanner shows as a custom plugin');
  // Where each middleware plugin runs (and each route plugin's routes) shows in its row, once the host ran the stage.
  await plugins.locator('tr[data-plugin="quota"] td.extends').getByText('middleware after session, priority', { exact: false }).waitFor(wait);
  ok('the quota middleware plugin\'s row shows it runs after the session gate, with its priority');

  // A fresh host: no files and no transfers, each said in words; Send file waits for a file to send.
  const files = page.getByRole('region', { name: /Files/ });
  const transfers = page.getByRole('region', { name: /Transfers/ });
  await files.getByText('No files stored yet').waitFor(wait);
  await transfers.getByText('No transfers yet').waitFor(wait);
  assert.equal(await transfers.getByRole('button', { name: 'Send file' }).isDisabled(), true, 'Send file is enabled with no file to send');
  assert.equal(await files.getByRole('button', { name: 'Upload', exact: true }).isDisabled(), true, 'Upload is enabled with no file picked');
  await shot('empty');
  ok('a fresh host shows empty states and Send file stays disabled until there is a file to send');

  // Upload a file through the form; it appears in the file list.
  const content = Buffer.from(`dashboard test ${Date.now()}\n`.repeat(2000));
  const fileName = `dashboard-${Date.now()}.txt`;
  const source = join(work, fileName);
  writeFileSync(source, content);
  await files.getByLabel('File to upload').setInputFiles(source);
  await files.getByRole('button', { name: 'Upload', exact: true }).click();
  const fileRow = files.locator('tbody tr', { hasText: fileName });
  await fileRow.waitFor(wait);
  await page.getByRole('status').getByText(`Uploaded ${fileName}`).waitFor(wait);
  ok(`uploaded ${fileName} (${content.length} bytes) and it is listed`);

  // Download it: the same bytes come back.
  const [download] = await Promise.all([
    page.waitForEvent('download', wait),
    files.getByRole('button', { name: `Download ${fileName}` }).click(),
  ]);
  assert.equal(download.suggestedFilename(), fileName);
  const saved = join(work, 'downloaded');
  await download.saveAs(saved);
  const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
  assert.equal(sha(readFileSync(saved)), sha(content));
  ok('downloaded it with the same SHA-256');

  // A package the host refuses: the page shows the API's message.
  const badPackage = join(work, 'not-a-package.zip');
  writeFileSync(badPackage, 'this is not a zip file');
  await plugins.getByLabel('Plugin package (.zip)').setInputFiles(badPackage);
  // The answer the page received is the one it must show: pass it through and keep a copy.
  let upload;
  await page.route('**/v1/plugins/upload', async (route) => {
    const response = await route.fetch();
    upload = { status: response.status(), body: await response.json() };
    await route.fulfill({ response });
  });
  await plugins.getByRole('button', { name: 'Install package' }).click();
  await page.waitForFunction(() => !document.getElementById('error').hidden, null, wait);
  await page.unroute('**/v1/plugins/upload');
  assert.ok(upload.status >= 400, `the host accepted a bad package: ${JSON.stringify(upload.body)}`);
  await alert.getByText(upload.body.message, { exact: false }).waitFor(wait);
  assert.match(await alert.innerText(), new RegExp(`HTTP ${upload.status}, ${upload.body.code}`));
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('ft.session')).token);
  ok(`a bad package shows the API's answer (${upload.status} ${upload.body.code})`);

  // Transfers: one to this same host, followed to completion with its progress bar full.
  assert.equal(await transfers.getByRole('button', { name: 'Send file' }).isDisabled(), false, 'Send file stays disabled with a file listed');
  await transfers.getByLabel('File', { exact: true }).selectOption({ label: fileName });
  await transfers.getByLabel('Destination host URL').fill(baseUrl);
  await transfers.getByLabel('Destination token').fill(token);
  await transfers.getByRole('button', { name: 'Send file' }).click();
  const bar = transfers.getByRole('progressbar', { name: `Transfer of ${fileName} to ${baseUrl}` });
  await transfers.locator('li .state-completed').waitFor(wait);
  assert.equal(await bar.evaluate((element) => element.value), 1);
  // The copy it received is listed beside the original without a reload.
  await files.locator('tbody tr', { hasText: fileName }).nth(1).waitFor(wait);
  ok('a transfer to this host completes, its progress bar is full, and the received copy is listed');

  // The card tells this send from another of the same file: its id, when it started, how long it took and how fast.
  const sent = await apiJson('/v1/transfers', { headers: { Authorization: `Bearer ${token}` } });
  const transferId = sent.body.transfers[0].id;
  const card = transfers.locator(`li[data-transfer="${transferId}"]`);
  assert.equal(await card.locator('code').innerText(), transferId);
  await card.getByText(/took .+ · .+\/s/).waitFor(wait);
  assert.match(await card.locator('.meta').innerText(), /started .+ · took .+ · [\d.]+ (B|KiB|MiB|GiB)\/s/);
  ok('the transfer card shows its id, start time, duration and speed');

  // The files plugin's own page: the uploads, downloads and transfer above were calls to it (and a refresh of the
  // file list, just now, so the two-minute window has some however slow this machine is): its charts have data.
  await files.getByRole('button', { name: 'Refresh files' }).click();
  await plugins.getByRole('link', { name: 'Details of files' }).click();
  const detail = page.getByRole('region', { name: /Plugin files/ });
  await detail.waitFor(wait);
  await page.waitForFunction(() => Number(document.getElementById('chart-calls')?.dataset.points) > 0, null, wait);
  for (const kind of ['calls', 'latency', 'errors']) {
    assert.equal(await detail.locator(`#chart-${kind} canvas`).count(), 1, `the ${kind} chart has no canvas`);
  }
  assert.match(await detail.locator('#chart-calls').getAttribute('aria-label'), /Calls per second, last 120 seconds\. .*StorageService\/\w+/);
  assert.match(await detail.locator('#detail-method-rows').innerText(), /grpcplugins\.storage\.v1\.StorageService\/\w+/);
  assert.equal(await detail.locator('#detail-services').innerText(), 'grpcplugins.storage.v1.StorageService');
  await shot('plugin-detail');
  ok('the files plugin\'s detail view draws calls, latency and errors charts with data');

  // The share-links plugin's page: the HTTP routes it declared, as the host mounted them with their gates, and the
  // host callbacks it may call; the quota plugin's page: where it runs as HTTP middleware.
  await page.evaluate(() => { location.hash = '#plugin/shares'; });
  const shares = page.getByRole('region', { name: /Plugin shares/ });
  await shares.locator('#detail-routes li code').first().waitFor(wait);
  const routes = await shares.locator('#detail-routes').innerText();
  assert.match(routes, /POST \S*\/shares session access/);
  assert.match(routes, /GET \S*\/shares\/\{token\} public access/);
  assert.match(routes, /DELETE \S*\/share-links\/\{id\} admin access/);
  assert.deepEqual((await shares.locator('#detail-grants li').allInnerTexts()).map((t) => t.trim()), ['files.read', 'kv']);
  await shot('plugin-detail-routes');
  ok('the shares plugin\'s detail view shows its HTTP routes with their access and its callback grants');
  await page.evaluate(() => { location.hash = '#plugin/quota'; });
  const quota = page.getByRole('region', { name: /Plugin quota/ });
  await quota.locator('#detail-middleware li', { hasText: /^Runs / }).waitFor(wait);
  assert.match(await quota.locator('#detail-middleware').innerText(), /Runs (before|after) session, priority -?\d+/);
  assert.equal(await quota.locator('#detail-routes').innerText(), 'It declares no HTTP routes.');
  ok('the quota plugin\'s detail view shows where it runs as HTTP middleware');
  await page.getByRole('link', { name: /All plugins, files and transfers/ }).click();
  await plugins.waitFor(wait);

  // Live state: stopping a plugin from the page shows it stopped, starting it shows it running again, when the host
  // has the plugin management routes; on a host without them, the page shows the API's "no route" answer.
  const auditRow = plugins.locator('tr[data-plugin="audit"]');
  const route = await apiJson('/v1/plugins/audit', { headers: { Authorization: `Bearer ${token}` } });
  if (route.status === 200) {
    await auditRow.getByRole('button', { name: 'Stop audit' }).click();
    await auditRow.locator('td.state-cell .state-stopped').waitFor(wait);
    await auditRow.getByRole('button', { name: 'Start audit' }).click();
    await auditRow.locator('td.state-cell .state-running').waitFor(wait);
    ok('stopping and starting the audit plugin from the page shows stopped, then running');
  } else {
    await auditRow.getByRole('button', { name: 'Stop audit' }).click();
    await alert.getByText(`No API route matches PUT /v1/plugins/audit`, { exact: false }).waitFor(wait);
    ok('without the plugin management routes, Stop shows the API\'s 404 answer');
  }

  // A real package: install it from the page, start it, disable it and uninstall it, watching its state.
  const packagePath = process.env.FT_PACKAGE;
  if (packagePath) {
    const name = required('FT_PACKAGE_NAME');
    const row = plugins.locator(`tr[data-plugin="${name}"]`);
    await plugins.getByLabel('Plugin package (.zip)').setInputFiles(packagePath);
    await plugins.getByRole('button', { name: 'Install package' }).click();
    // Installing unpacks and verifies a whole plugin build; on a busy machine that takes longer than a click's answer.
    await page.getByRole('status').getByText(`Installed ${name}`).waitFor({ timeout: 90_000 });
    await row.locator('td.state-cell .state-stopped').waitFor(wait);
    await row.getByRole('button', { name: `Start ${name}` }).click();
    await row.locator('td.state-cell .state-running').waitFor(wait);
    assert.match(await row.locator('td.pid-cell').innerText(), /^\d+$/, 'a running plugin shows its process id');
    await page.screenshot({ path: screenshot.replace(/\.png$/, '-package-running.png'), fullPage: true });

    // A newer version of the running plugin: uploading it upgrades in place, and the row shows it running again.
    const upgradePath = process.env.FT_PACKAGE_UPGRADE;
    if (upgradePath) {
      const oldPid = await row.locator('td.pid-cell').innerText();
      await plugins.getByLabel('Plugin package (.zip)').setInputFiles(upgradePath);
      await plugins.getByRole('button', { name: 'Install package' }).click();
      const notice = await page.getByRole('status').getByText(new RegExp(`Upgraded ${name} from \\S+ to \\S+; it is running`)).textContent(wait);
      await row.locator('td.pid-cell').filter({ hasNotText: oldPid }).waitFor(wait);
      await row.locator('td.state-cell .state-running').waitFor(wait);
      const version = await row.locator('td').nth(2).innerText();
      assert.ok(notice.includes(`to ${version}`), `the notice "${notice}" does not name the version the row shows (${version})`);
      ok(`uploading ${name} ${version} upgraded the running plugin in place: running, new version, new process`);
    }

    // Its configuration, as a form generated from its schema: a value the schema refuses is shown under its field,
    // and a valid one is saved (the running plugin gets it at once).
    await row.getByRole('link', { name: `Details of ${name}` }).click();
    const detail = page.getByRole('region', { name: new RegExp(`Plugin ${name}`) });
    const flush = detail.getByLabel('flush_interval_ms');
    await flush.waitFor(wait);
    assert.equal(await detail.getByLabel('otlp_protocol').evaluate((select) => select.tagName), 'SELECT');
    await flush.fill('0');
    await detail.getByRole('button', { name: 'Save configuration' }).click();
    await detail.locator('#config-flush_interval_ms-error').getByText('Must be at least 1.').waitFor(wait);
    assert.equal(await flush.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'config-flush_interval_ms', 'focus is not on the invalid field');
    await shot('config-invalid');
    await flush.fill('250');
    await detail.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByRole('status').getByText(`Saved the configuration of ${name}`).waitFor({ timeout: 60_000 });
    const configured = await apiJson(`/v1/plugins/${name}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(configured.body.config.flush_interval_ms, 250);
    ok(`the config form generated from ${name}'s schema shows an invalid value inline, then saves a valid one`);

    // Its place among the monitor plugins: moved to the back it is called last, moved to the front first, as the page
    // and the host's list both say.
    const chain = detail.getByRole('list', { name: 'Plugins of this type, in the order they are called' });
    const monitorNames = async () => (await apiJson('/v1/plugins', { headers: { Authorization: `Bearer ${token}` } })).body.plugins
      .filter((p) => p.type === 'monitor').map((p) => p.name);
    await detail.getByRole('button', { name: 'Move to back' }).click();
    await page.getByRole('status').getByText(`Moved ${name}: its priority is now`).waitFor(wait);
    await chain.locator('li').last().filter({ hasText: name }).waitFor(wait);
    assert.equal((await monitorNames()).at(-1), name);
    await detail.getByRole('button', { name: 'Move to front' }).click();
    await chain.locator('li').first().filter({ hasText: name }).waitFor(wait);
    assert.equal((await monitorNames())[0], name);
    await detail.getByRole('button', { name: 'Move to front' }).and(page.locator(':disabled')).waitFor(wait);
    await shot('move-priority');
    ok(`moving ${name} to the front puts it first among the monitor plugins`);
    await page.getByRole('link', { name: /All plugins, files and transfers/ }).click();
    await plugins.waitFor(wait);
    await row.getByRole('button', { name: `Disable ${name}` }).click();
    await row.locator('td.state-cell .state-disabled').waitFor(wait);
    page.once('dialog', (dialog) => dialog.accept());
    await row.getByRole('button', { name: `Uninstall ${name}` }).click();
    await row.waitFor({ ...wait, state: 'detached' });
    const gone = await apiJson(`/v1/plugins/${name}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(gone.status, 404, `after Uninstall the API still has ${name}: ${JSON.stringify(gone.body)}`);
    ok(`installed ${name} from the page, started, disabled and uninstalled it`);
  }

  await page.getByRole('button', { name: 'Install package' }).scrollIntoViewIfNeeded();
  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  ok(`screenshot saved to ${screenshot}`);

  // The dark theme: from the header's toggle (a pressed button), kept after a reload.
  const toggle = page.getByRole('button', { name: 'Dark theme' });
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(await background(), 'rgb(13, 17, 23)');
  await page.reload();
  await plugins.locator('tr[data-plugin="files"] td.state-cell .state-running').waitFor(wait);
  assert.equal(await background(), 'rgb(13, 17, 23)');
  await shot('dark');
  await page.getByRole('button', { name: 'Dark theme' }).click();
  assert.equal(await background(), 'rgb(255, 255, 255)');
  ok('the dark theme applies from the toggle and stays after a reload');

  // A user without the admin role sees her own files and transfers, not the admin's, and no plugin management.
  const reader = process.env.FT_READER;
  if (reader) {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Username').waitFor(wait);
    await signIn(page, reader, required('FT_READER_PASSWORD'));
    // Files have owners: the admin's file is not hers, so her list is empty.
    await page.locator('#files-empty').waitFor(wait);
    assert.equal(await files.locator('tbody tr', { hasText: fileName }).count(), 0, "a non-admin sees the admin's file");
    assert.equal(await page.getByRole('region', { name: /Plugins/ }).count(), 0, 'the plugin section is visible to a non-admin');
    assert.equal(await page.getByRole('button', { name: 'Install package' }).count(), 0);
    ok(`${reader} (not an admin) sees an empty file list, not the admin's file, and no plugin management`);

    // Transfers have owners too: the one the admin started is not hers, so her transfer list is empty.
    await page.locator('#transfers-empty').waitFor(wait);
    assert.equal(await transfers.getByRole('listitem').count(), 0, "a non-admin sees the admin's transfer");
    ok(`${reader} sees an empty transfer list, not the transfer the admin started`);
  }

  assert.deepEqual(consoleErrors.filter((text) => !text.includes('Failed to load resource')), [], 'the page logged errors');
  ok('the page logged no script errors');
} catch (error) {
  if (page) {
    const failed = screenshot.replace(/\.png$/, '-failed.png');
    mkdirSync(dirname(failed), { recursive: true });
    await page.screenshot({ path: failed, fullPage: true }).catch(() => {});
    console.error(`Screenshot of the failure: ${failed}`);
  }
  throw error;
} finally {
  await browser.close();
}
