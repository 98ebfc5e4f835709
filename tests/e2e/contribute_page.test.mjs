// Contributor mode end to end: 22 real HAM10000 photos, a records CSV linking 20 of them, an
// opt-out register naming 2 patients, and a site configuration with keys made by the real
// `hifu site keygen` / `hifu hub keygen`. The page's renderer is killed mid-batch (after a
// reviewer excluded one photo); reopened, the page must resume without losing that decision or
// redoing a finished photo, and the bundle it seals must open with the real `hifu bundle open`
// holding exactly the expected photos.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startServer, launchBrowser, hifuBinary, openPage, root, writeSiteConfig } from "./serve.mjs";
import { HAM, hamImages, watch } from "./photos.mjs";

const screenshots = path.join(root, "tests/e2e/screenshots");
let server, browser, workdir;

before(async () => {
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), "hifu-contribute-"));
  fs.mkdirSync(screenshots, { recursive: true });
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
  if (workdir) fs.rmSync(workdir, { recursive: true, force: true });
});

/**
 * Real photos at camera size (Chromium upscales each HAM image to 3000×2250; exiftool adds
 * orientation 6 and a GPS position, so every photo is decoded, rotated and re-encoded): the
 * batch then takes long enough that the reload below lands mid-batch.
 */
async function cameraSizedPhotos(page, names, dir) {
  await page.goto(`${server.origin}/favicon.svg`);
  for (const [i, name] of names.entries()) {
    const source = fs.readFileSync(path.join(HAM, name)).toString("base64");
    const base64 = await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/jpeg" }));
      const canvas = new OffscreenCanvas(3000, 2250);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, 3000, 2250);
      const out = new Uint8Array(await (await canvas.convertToBlob({ type: "image/jpeg", quality: 0.9 })).arrayBuffer());
      let text = "";
      for (let k = 0; k < out.length; k += 0x8000) text += String.fromCharCode(...out.subarray(k, k + 0x8000));
      return btoa(text);
    }, source);
    const file = path.join(dir, `photo-${String(i + 1).padStart(2, "0")}.jpg`);
    fs.writeFileSync(file, Buffer.from(base64, "base64"));
    execFileSync("exiftool", ["-q", "-overwrite_original", "-Orientation#=6", "-GPSLatitude=35.6", "-GPSLatitudeRef=N", file]);
  }
}

/** 22 photos (20 with a record, 2 without), records, opt-out for patients 3 and 7, config. */
async function buildInputs(context) {
  const photos = path.join(workdir, "photos");
  fs.mkdirSync(photos);
  // A page of its own, closed afterwards: 22 canvases of 3000×2250 leave its renderer heavy,
  // and the page under test should start clean.
  const maker = await context.newPage();
  await cameraSizedPhotos(maker, hamImages().slice(0, 22), photos);
  await maker.close();
  const rows = ["patient_id,age,sex,capture_date,final_diagnosis,file_name"];
  for (let i = 1; i <= 20; i++) {
    const file = `photo-${String(i).padStart(2, "0")}.jpg`;
    rows.push(`P${String(i).padStart(3, "0")},${30 + i},${i % 2 ? "M" : "F"},2024-03-${String(i).padStart(2, "0")},nevus number ${i},${file}`);
  }
  // Two rows naming the same photo: the page must show the conflict, not drop it silently.
  rows.push("P098,50,F,2024-04-01,nevus,photo-22.jpg", "P099,51,M,2024-04-02,melanoma,photo-22.jpg");
  fs.writeFileSync(path.join(workdir, "records.csv"), rows.join("\n") + "\n");
  fs.writeFileSync(path.join(workdir, "optout.csv"), "patient_id\nP003\nP007\n");
  writeSiteConfig(workdir, ["site_code = TEST01", "batch = e2e"]);
  return { photos };
}

const doneCount = (page) => page.$eval("#progress", (p) => p.value);

/** A reviewer ticks the three manual checks of a card and confirms it. */
async function confirmCard(page, name) {
  const card = page.locator(`.card[data-name="${name}"]`);
  for (const check of ["tattoo", "fingerprint", "label"]) await card.locator(`input[name=${check}]`).check();
  await card.locator("button.confirm").click();
}

/** Opens the contributor page, gives it `dir`'s site.conf and records.csv and the `photos` folder, and processes them. */
async function processBatch(page, dir, photos) {
  await openPage(page, `${server.origin}/contribute.html`);
  await page.waitForSelector("body[data-state=ready]");
  await page.setInputFiles("#config", path.join(dir, "site.conf"));
  await page.setInputFiles("#records", path.join(dir, "records.csv"));
  await page.setInputFiles("#folder", photos);
  // Requests still open when the batch stalls (the page's and its workers').
  const open = new Map();
  const context = page.context();
  const opened = (r) => open.set(r, `${r.method()} ${new URL(r.url()).pathname}`);
  const closed = (r) => open.delete(r);
  context.on("request", opened);
  context.on("requestfinished", closed);
  context.on("requestfailed", closed);
  await page.click("#start");
  try {
    await page.waitForSelector("body[data-state=done]", { timeout: 120_000 });
  } catch (error) {
    // Say where the batch stood, so that a hang can be told from a slow machine.
    const state = await page.evaluate(() => ({
      state: document.body.dataset.state,
      status: document.querySelector("#status")?.textContent,
      progress: document.querySelector("#progress")?.value,
      cards: [...document.querySelectorAll(".card")].map((c) => `${c.dataset.name}: ${c.textContent.slice(0, 80)}`),
    }));
    error.message += `\npage: ${JSON.stringify(state)}\nrequests still open: ${JSON.stringify([...open.values()])}`;
    throw error;
  } finally {
    context.off("request", opened);
    context.off("requestfinished", closed);
    context.off("requestfailed", closed);
  }
}

/** name → processedAt of every photo the page has stored as processed (IndexedDB). */
async function storedProcessed(page) {
  return page.evaluate(async () => {
    const { loadItems } = await import("./contribute-store.js");
    return Object.fromEntries((await loadItems()).filter((i) => i.processedAt).map((i) => [i.name, i.processedAt]));
  });
}

test("contributor flow: workers, review, renderer killed mid-batch, sealed bundle opens with hifu", { skip: hamImages().length < 22 && "needs ../shared HAM10000" }, async () => {
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 1200, height: 1000 }, acceptDownloads: true });
  // This test takes the fallback path (one Blob, downloaded): hide the File System Access API,
  // whose save dialog cannot be answered headless. The streamed path has its own test below.
  await context.addInitScript(() => Object.defineProperty(window, "showSaveFilePicker", { value: undefined }));
  let page = await context.newPage();
  const { photos } = await buildInputs(context);
  const requests = [];
  const observe = (p) => {
    p.on("request", (r) => requests.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));
    return watch(p, server.origin);
  };
  const log = observe(page);
  await openPage(page, `${server.origin}/contribute.html`);
  await page.waitForSelector("body[data-state=ready]");

  await page.setInputFiles("#config", path.join(workdir, "site.conf"));
  await page.setInputFiles("#records", path.join(workdir, "records.csv"));
  await page.setInputFiles("#optout", path.join(workdir, "optout.csv"));
  await page.setInputFiles("#folder", photos);
  await page.click("#start");
  await page.waitForSelector("#progress-panel:not([hidden])");
  assert.match(await page.textContent("#plan"), /18 photos matched a record · 1 unmatched · 2 set aside \(opt-out\) · 1 claimed by more than one record/);

  // A reviewer excludes photo-01 as soon as it shows, then the renderer dies mid-batch.
  const first = '.card[data-name="photo-01.jpg"] button.exclude';
  await page.waitForSelector(first, { timeout: 120_000 });
  await page.click(first);
  await page.waitForSelector('.card[data-name="photo-01.jpg"][data-decision=exclude]');
  await page.waitForFunction(() => document.querySelector("#progress").value >= 4, null, { timeout: 120_000 });
  const stored = await storedProcessed(page);
  const beforeReload = Object.keys(stored).length;
  assert.ok(beforeReload >= 4 && beforeReload < 18, `the kill must happen mid-batch (stored ${beforeReload})`);
  // A real crash of the renderer process (not a reload: no unload, no last chance to save).
  const crashed = page.waitForEvent("crash");
  const cdp = await context.newCDPSession(page);
  cdp.send("Page.crash").catch(() => {});
  await crashed;
  const crashLog = log.errors.splice(0);
  page = await context.newPage();
  const reopenedLog = observe(page);
  await openPage(page, `${server.origin}/contribute.html`);
  await page.waitForSelector("#progress-panel:not([hidden])");
  await page.waitForSelector("#resumed:not([hidden])");
  const resumedText = await page.textContent("#resumed");
  const resumed = Number(resumedText.match(/(\d+) photos were already processed/)?.[1]);
  assert.ok(resumed >= beforeReload, `resumed with ${resumed} done (had ${beforeReload}): ${resumedText}`);
  await page.waitForSelector("body[data-state=done]", { timeout: 300_000 });
  assert.equal(await doneCount(page), 18);
  await page.waitForSelector('.card[data-name="photo-01.jpg"][data-decision=exclude]');
  // Nothing finished before the crash was redone: each keeps the moment it was processed.
  const after = await storedProcessed(page);
  assert.equal(Object.keys(after).length, 18, "every matched photo is processed once in the store");
  for (const [name, at] of Object.entries(stored)) assert.equal(after[name], at, `${name} was processed again after the crash`);

  // Filters: the photo without a record and the one two records claim, no errors.
  await page.selectOption("#filter", "unmatched");
  assert.deepEqual(await page.$$eval(".card", (cs) => cs.map((c) => c.dataset.name)), ["photo-21.jpg", "photo-22.jpg"]);
  assert.match(await page.textContent('.card[data-name="photo-22.jpg"]'), /Claimed by records on rows 22, 23/);
  await page.selectOption("#filter", "errors");
  assert.equal(await page.$$eval(".card", (cs) => cs.length), 0);
  // Whatever the machine flagged (faces, abstentions) is decided: all checks ticked, confirm.
  await page.selectOption("#filter", "flagged");
  const flagged = await page.$$eval(".card", (cs) => cs.map((c) => c.dataset.name));
  if (flagged.length) assert.ok(await page.isDisabled("#export"), "nothing is sealed while flagged photos are undecided");
  for (const name of flagged) {
    await confirmCard(page, name);
    await page.waitForSelector(`.card[data-name="${name}"]`, { state: "detached" });
  }
  assert.equal(await page.isDisabled("#export"), false, "everything is decided: sealing is allowed");
  await page.selectOption("#filter", "all");
  await page.screenshot({ path: path.join(screenshots, "contribute-review.png"), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
  const bundle = path.join(workdir, download.suggestedFilename());
  await download.saveAs(bundle);
  await page.waitForSelector("body[data-state=sealed]");

  const out = path.join(workdir, "opened");
  execFileSync(hifuBinary(), ["bundle", "open", bundle, "--key", path.join(workdir, "hub", "hub.key"), "--out", out]);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8"));
  assert.equal(manifest.site_code, "TEST01");
  const fullFace = await page.$$eval('.card[data-status="excluded"], .card[data-decision="exclude"]', (cs) => cs.map((c) => c.dataset.name));
  const expected = [];
  for (let i = 1; i <= 20; i++) {
    const name = `photo-${String(i).padStart(2, "0")}.jpg`;
    if (i === 3 || i === 7 || fullFace.includes(name)) continue;
    expected.push(`nevus number ${i}`);
  }
  assert.ok(!expected.includes("nevus number 1"), "the reviewer's exclusion survived the reload");
  const got = manifest.items.map((item) => item.record.final_diagnosis).sort();
  assert.deepEqual(got, expected.sort());
  assert.equal(fs.readdirSync(path.join(out, "images")).length, expected.length);
  // Pseudonyms only: no patient ID reaches the bundle.
  assert.ok(!JSON.stringify(manifest).includes("P001"));

  assert.deepEqual(crashLog, []);
  assert.deepEqual(reopenedLog.errors, []);
  assert.deepEqual([...log.foreign, ...reopenedLog.foreign], []);
  assert.deepEqual(requests.filter((r) => r.method !== "GET" || r.body), [], "nothing is uploaded");
  await context.close();
});

test("bundle streamed to disk through the save dialog, then uploaded to the configured hub relay", { skip: hamImages().length < 3 && "needs ../shared HAM10000" }, async () => {
  const dir = fs.mkdtempSync(path.join(workdir, "stream-"));
  const photos = path.join(dir, "photos");
  fs.mkdirSync(photos);
  const rows = ["patient_id,age,sex,capture_date,final_diagnosis,file_name"];
  for (const [i, name] of hamImages().slice(0, 3).entries()) {
    fs.copyFileSync(path.join(HAM, name), path.join(photos, `s-${i}.jpg`));
    rows.push(`Q${i},${40 + i},F,2024-05-0${i + 1},streamed ${i},s-${i}.jpg`);
  }
  fs.writeFileSync(path.join(dir, "records.csv"), rows.join("\n") + "\n");
  const hifu = hifuBinary();
  writeSiteConfig(dir, ["site_code = STREAM", "hub_url = /hub/upload"]);

  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  // The save dialog cannot be driven headless: hand the page a real writable file handle from
  // its own origin-private file system instead, as the dialog would.
  await page.addInitScript(() => {
    window.showSaveFilePicker = async ({ suggestedName }) => {
      window.__savedAs = suggestedName;
      return (await navigator.storage.getDirectory()).getFileHandle("picked.hifu", { create: true });
    };
  });
  const uploads = [];
  await page.route(`${server.origin}/hub/upload`, async (route) => {
    uploads.push({ body: route.request().postDataBuffer(), headers: route.request().headers() });
    await route.fulfill({ status: 201, body: "stored" });
  });
  const log = watch(page, server.origin);
  const requests = [];
  page.on("request", (r) => requests.push({ url: r.url(), method: r.method() }));
  await processBatch(page, dir, photos);
  for (const name of await page.$$eval('.card button.confirm:not([disabled])', (bs) => bs.map((b) => b.closest(".card").dataset.name))) {
    await confirmCard(page, name);
  }
  let downloads = 0;
  page.on("download", () => downloads++);
  await page.click("#export");
  await page.waitForSelector("body[data-state=sealed]");
  assert.match(await page.textContent("#sealed"), /written straight to disk/);
  assert.equal(downloads, 0, "the streamed path writes through the file handle, not a download");
  assert.match(await page.evaluate(() => window.__savedAs), /^STREAM-\d{4}-\d{2}-\d{2}\.hifu$/);
  const written = Buffer.from(
    await page.evaluate(async () => {
      const file = await (await (await navigator.storage.getDirectory()).getFileHandle("picked.hifu")).getFile();
      return [...new Uint8Array(await file.arrayBuffer())];
    }),
  );
  const bundle = path.join(dir, "picked.hifu");
  fs.writeFileSync(bundle, written);
  const out = path.join(dir, "opened");
  execFileSync(hifu, ["bundle", "open", bundle, "--key", path.join(dir, "hub", "hub.key"), "--out", out]);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8"));
  assert.deepEqual(manifest.items.map((i) => i.record.final_diagnosis).sort(), ["streamed 0", "streamed 1", "streamed 2"]);

  assert.equal(await page.isVisible("#upload"), true);
  await page.click("#upload");
  await page.waitForSelector("body[data-state=uploaded]");
  assert.equal(uploads.length, 1);
  assert.ok(uploads[0].body.equals(written), "the upload is byte for byte the sealed bundle on disk");
  assert.equal(uploads[0].headers["content-type"], "application/octet-stream");
  await page.screenshot({ path: path.join(screenshots, "contribute-uploaded.png"), fullPage: true });
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.foreign, []);
  const posts = requests.filter((r) => r.method !== "GET");
  assert.deepEqual(posts.map((r) => r.url), [`${server.origin}/hub/upload`], "the sealed bundle is the only thing sent");
  await context.close();
});

const CLINICAL = path.join(root, "../shared/data/clinical");
// Three facial close-ups of ../shared (models/face/clinical_faces.csv: partial faces): eyes in
// the photo (xanthelasma of the lids), a cheek without the eyes (acne), and a face no detector
// boxes, which the face-part probe flags (discoid lupus).
const FACIAL = {
  "eyes.jpg": "dermnet/Xanthoma/xanthelasma34.jpg",
  "cheek.jpg": "dermnet/Acne vulgaris/acne-face-22.jpg",
  "lupus.jpg": "dermnet/Discoid lupus erythematosus/discoid-lupus-12.jpg",
};

test("facial close-ups are flagged for the reviewer and sealed only once decided", { skip: (!fs.existsSync(CLINICAL) || hamImages().length < 1) && "needs ../shared" }, async () => {
  const dir = fs.mkdtempSync(path.join(workdir, "faces-"));
  const photos = path.join(dir, "photos");
  fs.mkdirSync(photos);
  for (const [name, rel] of Object.entries(FACIAL)) fs.copyFileSync(path.join(CLINICAL, rel), path.join(photos, name));
  fs.copyFileSync(path.join(HAM, hamImages()[0]), path.join(photos, "lesion.jpg"));
  const rows = ["patient_id,age,sex,capture_date,final_diagnosis,file_name", "F1,61,F,2024-06-01,xanthelasma,eyes.jpg", "F2,19,M,2024-06-02,acne,cheek.jpg", "F3,45,F,2024-06-03,nevus,lesion.jpg", "F4,38,F,2024-06-04,discoid lupus,lupus.jpg"];
  const { context, page, log } = await reviewBatch(dir, photos, rows, "FACES");

  await page.selectOption("#filter", "partial_face");
  assert.deepEqual((await page.$$eval(".card", (cs) => cs.map((c) => c.dataset.name))).sort(), ["cheek.jpg", "eyes.jpg"]);
  for (const name of ["cheek.jpg", "eyes.jpg"]) {
    assert.match(await page.textContent(`.card[data-name="${name}"]`), /Facial close-up: check what identifies/);
  }
  await page.selectOption("#filter", "face_part");
  assert.deepEqual(await page.$$eval(".card", (cs) => cs.map((c) => c.dataset.name)), ["lupus.jpg"]);
  assert.match(await page.textContent('.card[data-name="lupus.jpg"]'), /May show part of a face: check/);
  await page.selectOption("#filter", "flagged");
  await page.screenshot({ path: path.join(screenshots, "contribute-partial-faces.png"), fullPage: true });
  assert.ok(await page.isDisabled("#export"), "nothing is sealed while the close-ups are undecided");
  // The reviewer confirms the lid close-up and excludes the cheek.
  await confirmCard(page, "eyes.jpg");
  await page.waitForSelector('.card[data-name="eyes.jpg"]', { state: "detached" });
  await page.locator('.card[data-name="cheek.jpg"] button.exclude').click();
  await page.waitForSelector('.card[data-name="cheek.jpg"]', { state: "detached" });
  await confirmEveryFlagged(page);
  assert.equal(await page.isDisabled("#export"), false);
  const manifest = await sealAndOpen(page, dir);
  assert.deepEqual(manifest.items.map((i) => i.record.final_diagnosis).sort(), ["discoid lupus", "nevus", "xanthelasma"]);
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.foreign, []);
  await context.close();
});

/**
 * Writes the records and a site configuration, then processes the photos in a fresh English
 * page without a save dialog (the bundle comes as a download): ready for review.
 */
async function reviewBatch(dir, photos, rows, siteCode, settings = []) {
  fs.writeFileSync(path.join(dir, "records.csv"), rows.join("\n") + "\n");
  writeSiteConfig(dir, [`site_code = ${siteCode}`, ...settings]);
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  await page.addInitScript(() => Object.defineProperty(window, "showSaveFilePicker", { value: undefined }));
  const log = watch(page, server.origin);
  await processBatch(page, dir, photos);
  return { context, page, log };
}

/** Confirms every card still flagged, waiting for each decision to be saved. */
async function confirmEveryFlagged(page) {
  await page.selectOption("#filter", "flagged");
  for (const name of await page.$$eval(".card", (cs) => cs.map((c) => c.dataset.name))) {
    await confirmCard(page, name);
    // The decision is saved (IndexedDB) before the grid and the seal button update.
    await page.waitForSelector(`.card[data-name="${name}"]`, { state: "detached" });
  }
}

/** Seals the batch through the download fallback and opens it with the real `hifu bundle open`. */
async function sealAndOpen(page, dir) {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
  const bundle = path.join(dir, download.suggestedFilename());
  await download.saveAs(bundle);
  const out = path.join(dir, "opened");
  execFileSync(hifuBinary(), ["bundle", "open", bundle, "--key", path.join(dir, "hub", "hub.key"), "--out", out]);
  return JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8"));
}

// A tattoo photo of a BIVTatt subject held out from the tattoo check's fitting (models/tattoo).
const TATTOO = path.join(root, "../shared/data/tattoo/images/116_1.jpg");

test("a photo showing a tattoo is flagged for the reviewer and sealed only once decided", { skip: (!fs.existsSync(TATTOO) || hamImages().length < 1) && "needs ../shared" }, async () => {
  const dir = fs.mkdtempSync(path.join(workdir, "tattoo-"));
  const photos = path.join(dir, "photos");
  fs.mkdirSync(photos);
  fs.copyFileSync(TATTOO, path.join(photos, "arm.jpg"));
  fs.copyFileSync(path.join(HAM, hamImages()[1]), path.join(photos, "lesion.jpg"));
  const rows = ["patient_id,age,sex,capture_date,final_diagnosis,file_name", "T1,33,M,2024-07-01,nevus on a tattoo,arm.jpg", "T2,52,F,2024-07-02,nevus,lesion.jpg"];
  const { context, page, log } = await reviewBatch(dir, photos, rows, "TATTOO");

  await page.selectOption("#filter", "tattoo");
  assert.deepEqual(await page.$$eval(".card", (cs) => cs.map((c) => c.dataset.name)), ["arm.jpg"]);
  assert.match(await page.textContent('.card[data-name="arm.jpg"]'), /May show a tattoo: check it does not identify/);
  await page.screenshot({ path: path.join(screenshots, "contribute-tattoo.png"), fullPage: true });
  assert.ok(await page.isDisabled("#export"), "nothing is sealed while the tattoo photo is undecided");
  await confirmEveryFlagged(page);
  assert.equal(await page.isDisabled("#export"), false);
  const manifest = await sealAndOpen(page, dir);
  assert.deepEqual(manifest.items.map((i) => i.record.final_diagnosis).sort(), ["nevus", "nevus on a tattoo"]);
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.foreign, []);
  await context.close();
});

// A palmar finger close-up whose ridges are resolved (models/fingerprint/labels.csv: "yes").
const RIDGES = path.join(CLINICAL, "dermnet/Hand dermatitis/2815.jpg");

test("a photo with resolved fingerprint ridges is flagged for the reviewer and sealed only once decided", { skip: (!fs.existsSync(RIDGES) || hamImages().length < 1) && "needs ../shared" }, async () => {
  const dir = fs.mkdtempSync(path.join(workdir, "fingerprint-"));
  const photos = path.join(dir, "photos");
  fs.mkdirSync(photos);
  fs.copyFileSync(RIDGES, path.join(photos, "finger.jpg"));
  fs.copyFileSync(path.join(HAM, hamImages()[3]), path.join(photos, "lesion.jpg"));
  const rows = ["patient_id,age,sex,capture_date,final_diagnosis,file_name", "F1,61,F,2024-09-01,hand dermatitis,finger.jpg", "F2,45,M,2024-09-02,nevus,lesion.jpg"];
  const { context, page, log } = await reviewBatch(dir, photos, rows, "RIDGES");

  await page.selectOption("#filter", "fingerprint");
  assert.deepEqual(await page.$$eval(".card", (cs) => cs.map((c) => c.dataset.name)), ["finger.jpg"]);
  assert.match(await page.textContent('.card[data-name="finger.jpg"]'), /Fingertip, palm or sole ridges resolved/);
  await page.screenshot({ path: path.join(screenshots, "contribute-fingerprint.png"), fullPage: true });
  assert.ok(await page.isDisabled("#export"), "nothing is sealed while the fingerprint photo is undecided");
  await confirmEveryFlagged(page);
  assert.equal(await page.isDisabled("#export"), false);
  const manifest = await sealAndOpen(page, dir);
  assert.deepEqual(manifest.items.map((i) => i.record.final_diagnosis).sort(), ["hand dermatitis", "nevus"]);
  const finger = manifest.items.find((i) => i.record.final_diagnosis === "hand dermatitis");
  assert.ok(finger.scrub.review.includes("fingerprint"), JSON.stringify(finger.scrub));
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.foreign, []);
  await context.close();
});

// A psoriasis photo with DermNet's logo burned into its lower-left corner.
const LOGO = path.join(CLINICAL, "dermnet/Psoriasis/2756.jpg");

test("burned-in text is filled in the worker and the photo is sealed only once decided", { skip: (!fs.existsSync(LOGO) || hamImages().length < 1) && "needs ../shared" }, async () => {
  const dir = fs.mkdtempSync(path.join(workdir, "text-"));
  const photos = path.join(dir, "photos");
  fs.mkdirSync(photos);
  fs.copyFileSync(LOGO, path.join(photos, "plaque.jpg"));
  fs.copyFileSync(path.join(HAM, hamImages()[2]), path.join(photos, "lesion.jpg"));
  const rows = ["patient_id,age,sex,capture_date,final_diagnosis,file_name", "X1,47,M,2024-08-01,psoriasis,plaque.jpg", "X2,36,F,2024-08-02,nevus,lesion.jpg"];
  const { context, page, log } = await reviewBatch(dir, photos, rows, "TEXT");

  await page.selectOption("#filter", "text");
  assert.deepEqual(await page.$$eval(".card", (cs) => cs.map((c) => c.dataset.name)), ["plaque.jpg"]);
  assert.match(await page.textContent('.card[data-name="plaque.jpg"]'), /Text filled \(grey boxes\)/);
  await page.screenshot({ path: path.join(screenshots, "contribute-text.png"), fullPage: true });
  // The thumbnail outlines the filled lines for the reviewer.
  const outlined = await page.$eval('.card[data-name="plaque.jpg"] canvas', (canvas) => {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] === 0xd6 && data[i + 1] === 0x24 && data[i + 2] === 0x6e) n++;
    return n;
  });
  assert.ok(outlined > 50, `${outlined} outline pixels on the thumbnail`);
  assert.ok(await page.isDisabled("#export"), "nothing is sealed while the text photo is undecided");
  await confirmEveryFlagged(page);
  assert.equal(await page.isDisabled("#export"), false);
  const manifest = await sealAndOpen(page, dir);
  assert.deepEqual(manifest.items.map((i) => i.record.final_diagnosis).sort(), ["nevus", "psoriasis"]);
  // The sealed copy carries the fill where the logo's words were: the lower-left quarter holds
  // a run of the face fill's grey.
  const plaque = manifest.items.find((i) => i.record.final_diagnosis === "psoriasis");
  const sealed = fs.readFileSync(path.join(dir, "opened", plaque.image));
  const grey = await page.evaluate(async (bytes) => {
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext("2d");
    ctx.drawImage(bitmap, 0, 0);
    const { data } = ctx.getImageData(0, bitmap.height / 2, bitmap.width / 2, bitmap.height / 2);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - 128) < 8 && Math.abs(data[i + 1] - 128) < 8 && Math.abs(data[i + 2] - 128) < 8) n++;
    return n;
  }, [...sealed]);
  assert.ok(grey > 1500, `only ${grey} fill pixels in the lower-left quarter`);
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.foreign, []);
  await context.close();
});

test("a site policy that excludes photos with text leaves them out without a decision", { skip: (!fs.existsSync(LOGO) || hamImages().length < 1) && "needs ../shared" }, async () => {
  const dir = fs.mkdtempSync(path.join(workdir, "policy-"));
  const photos = path.join(dir, "photos");
  fs.mkdirSync(photos);
  fs.copyFileSync(LOGO, path.join(photos, "plaque.jpg"));
  fs.copyFileSync(path.join(HAM, hamImages()[2]), path.join(photos, "lesion.jpg"));
  const rows = ["patient_id,age,sex,capture_date,final_diagnosis,file_name", "X1,47,M,2024-08-01,psoriasis,plaque.jpg", "X2,36,F,2024-08-02,nevus,lesion.jpg"];
  const { context, page, log } = await reviewBatch(dir, photos, rows, "POLICY", ["exclude_flagged = text"]);

  await page.selectOption("#filter", "all");
  assert.match(await page.textContent('.card[data-name="plaque.jpg"]'), /Excluded by the site's policy: burned-in text/);
  assert.equal(await page.locator('.card[data-name="plaque.jpg"] button.exclude').count(), 0, "nothing to decide");
  assert.equal(await page.isDisabled("#export"), false, "an excluded photo needs no decision");
  await page.screenshot({ path: path.join(screenshots, "contribute-policy.png"), fullPage: true });
  const manifest = await sealAndOpen(page, dir);
  assert.deepEqual(manifest.items.map((i) => i.record.final_diagnosis), ["nevus"]);
  assert.deepEqual(manifest.policy.exclude_flagged, ["text"]);
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.foreign, []);
  await context.close();
});

test("contributor page in Japanese on a phone-width screen", async () => {
  const context = await browser.newContext({ locale: "ja-JP", viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  const log = watch(page, server.origin);
  await openPage(page, `${server.origin}/contribute.html`);
  await page.waitForSelector("body[data-state=ready]");
  assert.equal(await page.textContent("h1"), "hifu — 提供バンドルの作成");
  assert.equal(await page.$eval(".lang-select", (s) => s.value), "ja");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at phone width (overflow ${overflow} px)`);
  await page.screenshot({ path: path.join(screenshots, "contribute-ja-phone.png"), fullPage: true });
  assert.deepEqual(log.errors, []);
  await context.close();
});
