// Lighthouse on many pages in one Node process and one Chromium: the CLI pays Node's
// start-up, Lighthouse's configuration and a browser launch for every page.
//
// argv[2] is a JSON job: {lighthouse: the package directory, chromePath, chromeFlags,
// audits, timeoutMs, urls}. One JSON line per URL on stdout, in order:
// {url, audits: {id: {score, scoreDisplayMode}}} or {url, error}.
import {pathToFileURL} from 'node:url';
import path from 'node:path';

const job = JSON.parse(process.argv[2]);
const load = (relative) => import(pathToFileURL(path.join(job.lighthouse, relative)).href);
const {default: lighthouse} = await load('core/index.js');
const chromeLauncher = await load('../chrome-launcher/dist/index.js');

async function launch() {
  return chromeLauncher.launch({chromePath: job.chromePath, chromeFlags: job.chromeFlags});
}

function withTimeout(promise, ms, url) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Lighthouse ran past ${ms / 1000} s on ${url}`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

let chrome = await launch();
for (const url of job.urls) {
  let line;
  try {
    const result = await withTimeout(lighthouse(url, {
      port: chrome.port,
      output: 'json',
      logLevel: 'silent',
      onlyAudits: job.audits,
      throttlingMethod: 'provided',
      disableFullPageScreenshot: true,
      maxWaitForLoad: Math.max(5000, Math.floor(job.timeoutMs / 2)),
    }), job.timeoutMs, url);
    const lhr = result.lhr;
    if (lhr.runtimeError) {
      line = {url, error: lhr.runtimeError.message || lhr.runtimeError.code};
    } else {
      const audits = {};
      for (const id of job.audits) {
        const audit = lhr.audits[id];
        if (audit) audits[id] = {score: audit.score, scoreDisplayMode: audit.scoreDisplayMode};
      }
      line = {url, audits};
    }
  } catch (err) {
    line = {url, error: String(err && err.message || err)};
    await chrome.kill();
    chrome = await launch();
  }
  process.stdout.write(JSON.stringify(line) + '\n');
}
await chrome.kill();
