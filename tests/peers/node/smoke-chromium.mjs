// Smoke test: playwright-core drives Debian's /usr/bin/chromium headless and
// loads a data: page. Prints "OK" on success, exits non-zero otherwise.
//
//   node tests/peers/node/smoke-chromium.mjs
//
// CHROMIUM overrides the browser path. Playwright gives each launch a fresh,
// temporary --user-data-dir of its own and removes it on close.
import { chromium } from 'playwright-core';

// The flags every test in this repo should start Chromium with: without the
// background-networking ones Chromium keeps trying to reach Google's hosts,
// which this machine's closed network refuses.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: CHROMIUM_ARGS,
  timeout: 60_000,
});
try {
  const page = await browser.newPage();
  const html = '<!doctype html><title>websock-smoke</title><p id="x">hello</p>' +
    '<script>document.getElementById("x").textContent += " " + (typeof WebSocket);</script>';
  await page.goto('data:text/html,' + encodeURIComponent(html));
  const title = await page.title();
  const text = await page.textContent('#x');
  if (title !== 'websock-smoke' || text !== 'hello function') {
    throw new Error(`unexpected page content: title=${JSON.stringify(title)} text=${JSON.stringify(text)}`);
  }
  console.log(`OK (${executablePath} ${browser.version()})`);
} finally {
  await browser.close();
}
