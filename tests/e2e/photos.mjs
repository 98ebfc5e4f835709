// Shared by the page tests: real photos with identifying metadata added by exiftool (the
// independent writer), and a per-page log of console errors and foreign requests.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { root } from "./serve.mjs";

export const HAM = path.join(root, "../shared/data/ham10000/images");

/** HAM10000 file names (sorted), empty when ../shared is absent. */
export function hamImages() {
  return fs.existsSync(HAM) ? fs.readdirSync(HAM).filter((f) => f.endsWith(".jpg")).sort() : [];
}

/** A real dermoscopy JPEG from ../shared when present, else one drawn by Chromium itself. */
export async function baseJpeg(page) {
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
export function withMetadata(jpeg, file) {
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

export function watch(page, origin) {
  const log = { errors: [], foreign: [] };
  page.on("console", (m) => {
    // A server without models/skin/ answers the classifier's model fetch with 404: the page
    // then says so plainly (tested in clinician_page.test.mjs); that is not an error here.
    if (m.type() === "error" && !/\/models\//.test(m.location()?.url ?? "")) log.errors.push(m.text());
  });
  page.on("pageerror", (e) => log.errors.push(String(e)));
  page.on("request", (r) => {
    const url = new URL(r.url());
    // blob: URLs are the page's own (the download link); everything else must be same-origin.
    if (url.protocol !== "blob:" && url.origin !== origin) log.foreign.push(r.url());
  });
  return log;
}

