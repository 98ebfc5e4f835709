// Browser half of scripts/bench (bench_contribute): the contributor page on N camera-sized
// photos, to show memory stays bounded as the batch grows (issue: 2,000 photos of 12 MP).
//   node scripts/lib/bench_contribute.mjs PHOTO.jpg N [WORKERS]
// WORKERS pins the page's worker pool (it sizes the pool from navigator.hardwareConcurrency,
// which the bench then reports as that number), for the 1-worker vs 2-worker comparison.
// PHOTO.jpg (a 12 MP JPEG, e.g. from `bench_browser.mjs make-jpeg`) is copied N times under
// distinct names; records and keys are made with the real `hifu` ($HIFU_BIN). The bundle is
// streamed to the origin-private file system (standing in for the save dialog, which cannot
// be driven headless). Every second: photos done, the page's JS heap (CDP) and the resident
// memory of all Chromium processes (/proc). Prints one JSON line.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { launchBrowser, startServer, writeSiteConfig } from "../../tests/e2e/serve.mjs";

const [photo, count = "40", pinnedWorkers] = process.argv.slice(2);
const n = Number(count);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hifu-bench-contribute-"));

/** Resident memory of every Chromium process, in MB (renderers, workers' hosts, GPU, browser). */
function chromiumRssMb() {
  let kb = 0;
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      if (!/^Name:\s+(chromium|chrome)/m.test(status)) continue;
      kb += Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1] ?? 0);
    } catch {
      // the process ended between the listing and the read
    }
  }
  return kb / 1024;
}

const photos = path.join(dir, "photos");
fs.mkdirSync(photos);
const rows = ["patient_id,age,sex,capture_date,final_diagnosis,file_name"];
for (let i = 0; i < n; i++) {
  const name = `cam-${String(i).padStart(4, "0")}.jpg`;
  fs.copyFileSync(photo, path.join(photos, name));
  rows.push(`B${i},50,F,2024-06-01,bench,${name}`);
}
fs.writeFileSync(path.join(dir, "records.csv"), rows.join("\n") + "\n");
writeSiteConfig(dir, ["site_code = BENCH"]);

const server = await startServer();
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  if (pinnedWorkers) {
    await page.addInitScript((w) => Object.defineProperty(Navigator.prototype, "hardwareConcurrency", { get: () => w }), Number(pinnedWorkers));
  }
  await page.addInitScript(() => {
    window.showSaveFilePicker = async () => (await navigator.storage.getDirectory()).getFileHandle("bench.hifu", { create: true });
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const heapMb = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    return (metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? 0) / 2 ** 20;
  };
  await page.goto(`${server.origin}/contribute.html`);
  await page.waitForSelector("body[data-state=ready]");
  const baseline = chromiumRssMb();
  await page.setInputFiles("#config", path.join(dir, "site.conf"));
  await page.setInputFiles("#records", path.join(dir, "records.csv"));
  await page.setInputFiles("#folder", photos);
  const start = Date.now();
  await page.click("#start");
  const samples = [];
  for (;;) {
    const state = await page.evaluate(() => document.body.dataset.state);
    const done = await page.$eval("#progress", (p) => p.value).catch(() => 0);
    samples.push({ done, rss: chromiumRssMb(), heap: await heapMb() });
    if (state === "done" || state === "error") break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const processS = (Date.now() - start) / 1000;
  for (const name of await page.$$eval(".card button.confirm", (bs) => bs.map((b) => b.closest(".card").dataset.name))) {
    const card = page.locator(`.card[data-name="${name}"]`);
    for (const check of ["tattoo", "fingerprint", "label"]) await card.locator(`input[name=${check}]`).check();
    await card.locator("button.confirm").click();
  }
  const exportStart = Date.now();
  let exportPeak = 0;
  const sealed = page.waitForSelector("body[data-state=sealed]", { timeout: 600_000 });
  await page.click("#export");
  let finished = false;
  sealed.then(() => (finished = true));
  while (!finished) {
    exportPeak = Math.max(exportPeak, chromiumRssMb());
    await new Promise((r) => setTimeout(r, 250));
  }
  const exportS = (Date.now() - exportStart) / 1000;
  const bundleMb = await page.evaluate(async () => (await (await (await navigator.storage.getDirectory()).getFileHandle("bench.hifu")).getFile()).size / 2 ** 20);
  const at = (fraction) => samples.find((s) => s.done >= n * fraction) ?? samples[samples.length - 1];
  const peak = (key) => Math.max(...samples.map((s) => s[key]));
  const r = (v) => Math.round(v);
  console.log(
    JSON.stringify({
      photos: n,
      photo_mb: +(fs.statSync(photo).size / 2 ** 20).toFixed(2),
      workers: await page.evaluate(() => Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4))),
      process_s: +processS.toFixed(1),
      per_photo_s: +(processS / n).toFixed(2),
      rss_baseline_mb: r(baseline),
      rss_quarter_mb: r(at(0.25).rss),
      rss_half_mb: r(at(0.5).rss),
      rss_end_mb: r(samples[samples.length - 1].rss),
      rss_peak_mb: r(peak("rss")),
      heap_peak_mb: r(peak("heap")),
      heap_end_mb: r(samples[samples.length - 1].heap),
      export_s: +exportS.toFixed(1),
      export_rss_peak_mb: r(exportPeak),
      bundle_mb: r(bundleMb),
    }),
  );
} finally {
  await browser.close();
  server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
