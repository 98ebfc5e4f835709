// The scrub page end to end in Debian Chromium: a JPEG carrying GPS, an owner name, a serial,
// a capture date, a comment and orientation 6 goes in through the file picker; the page must
// list what was removed, render the upright clean copy, log no errors, and talk to nobody but
// its own origin under the strict CSP.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startServer, launchBrowser, root } from "./serve.mjs";

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
const screenshots = path.join(root, "tests/e2e/screenshots");
let server, browser, workdir;

/** A real dermoscopy JPEG from ../shared when present, else one drawn by Chromium itself. */
async function baseJpeg(page) {
  const ham = path.join(root, "../shared/data/ham10000/images");
  if (fs.existsSync(ham)) {
    const name = fs.readdirSync(ham).filter((f) => f.endsWith(".jpg")).sort()[0];
    if (name) return fs.readFileSync(path.join(ham, name));
  }
  const base64 = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(200, 150);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#d9a27f";
    ctx.fillRect(0, 0, 200, 150);
    ctx.fillStyle = "#5a3324";
    ctx.beginPath();
    ctx.ellipse(100, 75, 40, 28, 0.3, 0, Math.PI * 2);
    ctx.fill();
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: "image/jpeg", quality: 0.92 })).arrayBuffer());
    return btoa(String.fromCharCode(...bytes));
  });
  return Buffer.from(base64, "base64");
}

/** Adds identifying metadata with exiftool, the independent writer. */
function withMetadata(jpeg, file) {
  fs.writeFileSync(file, jpeg);
  execFileSync("exiftool", [
    "-q", "-overwrite_original",
    "-GPSLatitude=35.6895", "-GPSLatitudeRef=N", "-GPSLongitude=139.6917", "-GPSLongitudeRef=E",
    "-Artist=Yamada Taro", "-OwnerName=Yamada Taro", "-SerialNumber=SN-0042-XYZ",
    "-DateTimeOriginal=2024:05:01 10:00:00", "-Comment=patient 12345", "-Orientation#=6",
    file,
  ]);
  return file;
}

function watch(page, origin) {
  const log = { errors: [], foreign: [] };
  page.on("console", (m) => m.type() === "error" && log.errors.push(m.text()));
  page.on("pageerror", (e) => log.errors.push(String(e)));
  page.on("request", (r) => {
    const url = new URL(r.url());
    // blob: URLs are the page's own (the download link); everything else must be same-origin.
    if (url.protocol !== "blob:" && url.origin !== origin) log.foreign.push(r.url());
  });
  return log;
}

before(async () => {
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), "hifu-e2e-"));
  fs.mkdirSync(screenshots, { recursive: true });
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
  if (workdir) fs.rmSync(workdir, { recursive: true, force: true });
});

test("a photo with GPS and EXIF comes back upright with the removed list shown", async () => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const log = watch(page, server.origin);

  const response = await page.goto(`${server.origin}/`);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()["content-security-policy"], CSP);
  await page.waitForSelector("body[data-state=ready]");

  const photo = withMetadata(await baseJpeg(page), path.join(workdir, "patient-photo.jpg"));
  const [width, height] = execFileSync("exiftool", ["-s3", "-ImageWidth", "-ImageHeight", photo], { encoding: "utf8" })
    .trim().split("\n").map(Number);
  await page.setInputFiles("#file", photo);
  await page.waitForSelector("body[data-state=done], body[data-state=error]");
  assert.equal(await page.getAttribute("body", "data-state"), "done", await page.textContent("#error"));

  const removed = await page.$$eval("#removed li", (lis) => lis.map((li) => li.dataset.category));
  assert.ok(removed.includes("exif"), `removed: ${removed}`);
  assert.ok(removed.some((c) => c.includes("gps")), `GPS is listed as removed: ${removed}`);
  assert.match(await page.textContent("#removed"), /GPS/);
  assert.match(await page.textContent("#orientation"), /90° clockwise/);

  // The clean copy renders upright (orientation 6 swaps width and height) and is not blank.
  const after = await page.$eval("#after", (c) => {
    const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let min = 255, max = 0;
    for (let i = 0; i < data.length; i += 4) { min = Math.min(min, data[i]); max = Math.max(max, data[i]); }
    return { width: c.width, height: c.height, contrast: max - min };
  });
  assert.deepEqual([after.width, after.height], [height, width]);
  assert.ok(after.contrast > 30, `the clean copy is not blank (contrast ${after.contrast})`);
  const before = await page.$eval("#before", (c) => [c.width, c.height]);
  assert.deepEqual(before, [height, width], "the browser shows the original upright too");

  await page.screenshot({ path: path.join(screenshots, "scrub-page.png"), fullPage: true });
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.foreign, []);
  await page.close();
});

test("a file that is not a photo shows the error message and code", async () => {
  const page = await browser.newPage();
  const log = watch(page, server.origin);
  await page.goto(`${server.origin}/`);
  await page.waitForSelector("body[data-state=ready]");
  const bad = path.join(workdir, "not-a-photo.jpg");
  fs.writeFileSync(bad, "this is a text file, not a JPEG");
  await page.setInputFiles("#file", bad);
  await page.waitForSelector("body[data-state=error]");
  assert.ok(await page.isVisible("#error"));
  assert.match(await page.textContent("#error-code"), /^[a-z_]+\.[a-z_]+$/);
  assert.ok((await page.textContent("#error-message")).length > 10);
  await page.screenshot({ path: path.join(screenshots, "scrub-error.png") });
  assert.deepEqual(log.foreign, []);
  assert.deepEqual(log.errors, []);
  await page.close();
});
