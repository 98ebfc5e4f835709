// Shared by the page tests and the bench: start `hifu serve` on a free port and a headless
// Debian Chromium driven by playwright-core.
import { spawn } from "node:child_process";
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

export { root };
