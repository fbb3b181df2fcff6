// npm run report:check [-- REPORT.html ...]: opens HTML reports in headless Chromium (Debian's `chromium`), saves a
// full-page PNG of each under a temporary folder, and fails on any console error, page error, failed load or
// request that leaves the file (a report must open offline). Without arguments it first trains a small run and a
// 3-model × 2-seed bench on generated data, so there is a run report and a bench report to look at.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { bench, generateSynthetic, train } from '../src/index.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

async function sampleReports(dir: string): Promise<string[]> {
  const data = join(dir, 'data.csv');
  const config = join(dir, 'data.yaml');
  const quiet = { log: () => {}, progress: process.stderr };
  process.stderr.write(`training a sample run and bench under ${dir}\n`);
  await generateSynthetic({ output: data, rows: 40_000, users: 400, items: 300, configFile: config });
  const run = await train({ config, model: 'optmsm', out: join(dir, 'run'), epochs: 4, ...quiet });
  const outcome = await bench({ config, models: ['optmsm', 'shared-bottom', 'star'], seeds: 2, out: join(dir, 'bench'), epochs: 3, ...quiet });
  return [join(run.dir, 'report.html'), outcome.files.html];
}

const out = mkdtempSync(join(tmpdir(), 'optmsm-report-check-'));
const reports = process.argv.length > 2 ? process.argv.slice(2).map((f) => resolve(f)) : await sampleReports(out);
const browser = await puppeteer.launch({
  executablePath: CHROMIUM, headless: true, args: [...FLAGS, `--user-data-dir=${join(out, 'profile')}`], pipe: true,
}).catch((error: Error) => {
  process.stderr.write(`cannot start ${CHROMIUM} (${error.message}); install it with \`apt-get install chromium\` or set CHROMIUM\n`);
  process.exit(2);
});

let failures = 0;
for (const [i, report] of reports.entries()) {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
  page.on('requestfailed', (r) => problems.push(`failed to load ${r.url()}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push(`network request to ${r.url()}`);
  });
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
  const plots = await page.$$eval('figure svg', (svgs) => svgs.map((s) => s.getBoundingClientRect()).filter((r) => r.width > 50 && r.height > 50).length);
  if (plots === 0) problems.push('no plot is drawn');
  const png = join(out, `${i + 1}-${basename(dirname(report))}-${basename(report, '.html')}.png`);
  await page.screenshot({ path: png, fullPage: true });
  await page.close();
  failures += problems.length;
  process.stdout.write(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${report}: ${plots} plots -> ${png}\n`);
  for (const p of problems) process.stdout.write(`     ${p}\n`);
}
await browser.close();
process.exitCode = failures === 0 ? 0 : 1;
