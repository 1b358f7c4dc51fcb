// Browser test of the dashboard's cluster views (examples/FileTransfer.Host/wwwroot: the Nodes card and each plugin's
// state per node) in Debian's chromium, driven by playwright-core. Run by
// tests/FileTransfer.FunctionalTests/ClusterPluginTests.cs against a node of a real cluster it started.
// Environment: FT_URL (a node), FT_ADMIN_PASSWORD (user "admin"), FT_NODES (the nodes' names, comma-separated, all
// alive), FT_PLUGIN (a plugin running on every node), optional FT_SCREENSHOT, CHROMIUM (default /usr/bin/chromium).
// Prints one "ok - ..." line per check and exits non-zero at the first failure.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';

const baseUrl = process.env.FT_URL;
const nodes = (process.env.FT_NODES ?? '').split(',').filter(Boolean);
const plugin = process.env.FT_PLUGIN;
const wait = { timeout: 30_000 };
if (!baseUrl || !process.env.FT_ADMIN_PASSWORD || nodes.length === 0 || !plugin) {
  console.error('Set FT_URL, FT_ADMIN_PASSWORD, FT_NODES and FT_PLUGIN.');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
});
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(baseUrl);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(process.env.FT_ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();

  const card = page.locator('#nodes');
  await card.getByRole('heading', { name: 'Nodes' }).waitFor(wait);
  for (const node of nodes) {
    await card.locator(`tr[data-node="${node}"] .state-alive`).waitFor(wait);
  }
  // A node another test started and stopped stays listed, dead; only the alive ones must be exactly these.
  assert.equal(await card.locator('tbody tr:has(.state-alive)').count(), nodes.length, 'the Nodes card lists other alive nodes');
  console.log(`ok - the Nodes card lists ${nodes.join(', ')}, each alive, with when it was last seen`);

  const row = page.locator(`tr[data-plugin="${plugin}"]`);
  for (const node of nodes) {
    await row.locator(`.node-state[data-node="${node}"] .state-running`).waitFor(wait);
  }
  console.log(`ok - the plugins table shows ${plugin} running on ${nodes.join(', ')}`);

  if (process.env.FT_SCREENSHOT) {
    mkdirSync(dirname(process.env.FT_SCREENSHOT), { recursive: true });
    await page.screenshot({ path: process.env.FT_SCREENSHOT, fullPage: true });
  }
  assert.deepEqual(errors, [], 'the page logged script errors');
  console.log('ok - the page logged no script errors');
} finally {
  await browser.close();
}
