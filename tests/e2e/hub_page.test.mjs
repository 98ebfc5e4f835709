// The hub dashboard end to end: a real bundle made by `hifu contribute` from three HAM10000
// photos and a Japanese records CSV, ingested by `hifu hub ingest`, shown by `hifu hub serve`
// in headless Chromium, in English and in Japanese, under the strict CSP (no violation).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { launchBrowser, hifuBinary, root } from "./serve.mjs";
import { HAM, hamImages } from "./photos.mjs";

const screenshots = path.join(root, "tests/e2e/screenshots");
let browser, workdir, dashboard;

function hubServe(store, key) {
  const child = spawn(hifuBinary(), ["hub", "serve", "--store", store, "--key", key, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`hifu hub serve exited early (${code})`)));
    createInterface({ input: child.stdout }).once("line", (line) => {
      const match = line.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (!match) return reject(new Error(`unexpected first line from hifu hub serve: ${line}`));
      resolve({ origin: `http://127.0.0.1:${match[1]}`, stop: () => child.kill() });
    });
  });
}

before(async () => {
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), "hifu-hub-"));
  fs.mkdirSync(screenshots, { recursive: true });
  const hifu = hifuBinary();
  const at = (name) => path.join(workdir, name);
  execFileSync(hifu, ["hub", "keygen", "--out", at("hub")]);
  execFileSync(hifu, ["site", "keygen", "--out", at("site.key")]);
  fs.mkdirSync(at("photos"));
  const names = hamImages().slice(0, 3);
  names.forEach((name, i) => fs.copyFileSync(path.join(HAM, name), at(`photos/P${i + 1}_1.jpg`)));
  fs.writeFileSync(
    at("records.csv"),
    [
      "患者ID,年齢,性別,撮影日,初診時診断名,最終診断名,病変部位,ファイル名",
      "P1,62,男,2024/3/5,色素性母斑,悪性黒色腫,背部,P1_1.jpg",
      "P2,45,女,2024/5/1,色素性母斑,色素性母斑,上腕,P2_1.jpg",
      "P3,30,女,2023/8/9,脂漏性角化症,脂漏性角化症,顔,P3_1.jpg",
    ].join("\n") + "\n",
  );
  execFileSync(hifu, ["contribute", "--records", at("records.csv"), "--photos", at("photos"), "--site-key", at("site.key"),
    "--hub-key", at("hub/hub.pub"), "--out", at("batch.hifu"), "--site-code", "GUNMA-DERM", "--batch", "2024-Q2"]);
  execFileSync(hifu, ["hub", "init", at("store"), "--key", at("hub/hub.key"), "--target-total", "500000"]);
  execFileSync(hifu, ["hub", "ingest", "--store", at("store"), "--key", at("hub/hub.key"), at("batch.hifu")]);
  dashboard = await hubServe(at("store"), at("hub/hub.key"));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  dashboard?.stop();
  if (workdir) fs.rmSync(workdir, { recursive: true, force: true });
});

test("the dashboard shows the store's progress in English and Japanese, under the strict CSP", async () => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1200 } });
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(e.message));
  const response = await page.goto(`${dashboard.origin}/`);
  assert.match(response.headers()["content-security-policy"], /default-src 'self'/);
  await page.waitForSelector("body[data-state=ready]");
  assert.equal(await page.textContent("#total"), "3 of 500,000 photos (0.0 %)");
  const sites = await page.$$eval("#sites tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  assert.deepEqual(sites.map((r) => [r[0], r[1], r[2], r[4]]), [["GUNMA-DERM", "3", "12,000", "1"]]);
  const diagnoses = await page.$$eval("#final_diagnosis li", (items) => items.map((li) => li.textContent));
  assert.ok(diagnoses.includes("悪性黒色腫1") && diagnoses.includes("色素性母斑1") && diagnoses.includes("脂漏性角化症1"), diagnoses.join(" | "));
  const years = await page.$$eval("#capture_year li", (items) => items.map((li) => li.textContent));
  assert.deepEqual(years, ["20231", "20242"]);
  const barWidth = await page.$eval("#final_diagnosis li .bar span", (s) => s.style.width);
  assert.equal(barWidth, "100%", "the largest count fills its bar (set through CSSOM, which the CSP allows)");
  const batches = await page.$$eval("#batches tbody tr", (rows) => rows.map((r) => r.cells[2].textContent));
  assert.deepEqual(batches, ["2024-Q2"]);
  await page.screenshot({ path: path.join(screenshots, "hub-en.png"), fullPage: true });

  await page.selectOption(".lang-select", "ja");
  assert.equal(await page.textContent("h1"), "hifu ハブ — 全国データセットの進捗");
  assert.equal(await page.textContent("#total"), "500,000 枚中 3 枚（0.0 %）");
  const sexes = await page.$$eval("#sex li .bars-label", (items) => items.map((li) => li.textContent));
  assert.deepEqual(sexes.sort(), ["女性", "男性"].sort());
  await page.screenshot({ path: path.join(screenshots, "hub-ja.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test("the status API answers with the store's counts and nothing else is served from the store", async () => {
  const status = await (await fetch(`${dashboard.origin}/api/status`)).json();
  assert.equal(status.total_photos, 3);
  assert.equal(status.sites[0].site, "GUNMA-DERM");
  for (const url of ["/hub.sqlite", "/objects/", "/../store/hub.sqlite", "/api/status/../../hub.sqlite"]) {
    const response = await fetch(`${dashboard.origin}${url}`);
    assert.equal(response.status, 404, url);
  }
  assert.equal((await fetch(`${dashboard.origin}/api/status`, { method: "POST" })).status, 405);
});
