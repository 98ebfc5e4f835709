// Shared by the page tests and the bench: start `hifu serve` on a free port and a headless
// Debian Chromium driven by playwright-core.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import { createInterface } from "node:readline";
import path from "node:path";
import { chromium } from "playwright-core";

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), "../..");

/** The hifu binary: $HIFU_BIN, else the debug build in the cargo target folder. */
export function hifuBinary() {
  if (process.env.HIFU_BIN) return process.env.HIFU_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
  return path.join(target, "debug", "hifu");
}

/**
 * A hub key pair and a site key made by the real `hifu hub keygen` / `hifu site keygen` in
 * `dir`, and `dir/site.conf` holding `settings` (lines such as "site_code = X") and both keys.
 */
export function writeSiteConfig(dir, settings) {
  const hifu = hifuBinary();
  execFileSync(hifu, ["hub", "keygen", "--out", path.join(dir, "hub")]);
  execFileSync(hifu, ["site", "keygen", "--out", path.join(dir, "site.key")]);
  const keys = [fs.readFileSync(path.join(dir, "site.key"), "utf8"), fs.readFileSync(path.join(dir, "hub", "hub.pub"), "utf8")];
  fs.writeFileSync(path.join(dir, "site.conf"), [...settings, "", ...keys].join("\n"));
}

/** Starts `hifu serve --port 0`; resolves to { origin, stop } once it prints its URL. */
export function startServer() {
  const child = spawn(hifuBinary(), ["serve", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`hifu serve exited early (${code})`)));
    createInterface({ input: child.stdout }).once("line", (line) => {
      const match = line.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (!match) return reject(new Error(`unexpected first line from hifu serve: ${line}`));
      resolve({ origin: `http://127.0.0.1:${match[1]}`, stop: () => child.kill() });
    });
  });
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
}

/**
 * Opens `url` in `page` and waits for DOMContentLoaded. The first navigation to the
 * contributor page has, in about one full run of the page tests in three, never reached
 * DOMContentLoaded (only inside the whole test file; never in a loop of the same steps, and
 * the next test's navigation works). The cause is not found yet, so this prints the requests
 * still pending when that happens — the evidence — and navigates once more.
 */
export async function openPage(page, url) {
  const pending = new Set();
  const started = (r) => pending.add(r);
  const ended = (r) => pending.delete(r);
  page.on("request", started);
  page.on("requestfinished", ended);
  page.on("requestfailed", ended);
  try {
    await page.goto(url, { waitUntil: "domcontentloaded", timeout: 20_000 });
  } catch (error) {
    if (error.name !== "TimeoutError") throw error;
    const urls = [...pending].map((r) => r.url()).join(", ") || "none";
    console.error(`openPage: ${url} did not reach DOMContentLoaded in 20 s; requests pending: ${urls}. Retrying once.`);
    await page.goto(url, { waitUntil: "domcontentloaded", timeout: 60_000 });
  } finally {
    page.off("request", started);
    page.off("requestfinished", ended);
    page.off("requestfailed", ended);
  }
}

export { root };
