// Browser half of scripts/bench, driving Debian Chromium with playwright-core.
//   node scripts/lib/bench_browser.mjs make-jpeg OUT.jpg WIDTH HEIGHT
//       draws a photo-like test image on a canvas and saves it as JPEG (no metadata)
//   node scripts/lib/bench_browser.mjs scrub-wasm IN.jpg
//       loads the page from `hifu serve` ($HIFU_BIN), scrubs IN.jpg once with the page's wasm
//       and prints {"ms": …, "ms_faces": …, "ms_faces_text": …, "ms_faces_tattoo": …,
//       "ms_faces_fingerprint": …, "fingerprint_scan_ms": …, "text_scan_ms": …, "tattoo_scan_ms": …,
//       "ms_faces_shared": …, "ms_all": …, "ms_all_shared": …,
//       "bytes_out": …, "wasm_memory_mb": …}: the time of the scrub() call alone, without face
//       detection, then (each in a fresh page) with faces, with faces and the burned-in text
//       check, with faces and the tattoo check, with faces and the fingerprint check, with faces
//       shared with one helper worker (`scrubShared`), with every check as the clinician page
//       has them, on one thread and shared with one helper, and
//       the size of the first page's wasm
//       memory after its two scrubs (it only grows, so this is their peak); before its scrubs,
//       the first page also times the fingerprint, text and tattoo checks' own work alone on a
//       4000 × 3000 pattern (median of 5 each); and
//       "shared_splits": where each shared scrub's time went (hifu.js sharedStats.last).
//       HIFU_BENCH_ROUNDS=n times the faces and every-check rows n times (arrays then).
import fs from "node:fs";
import { startServer, launchBrowser } from "../../tests/e2e/serve.mjs";

const [command, file, width, height] = process.argv.slice(2);
const browser = await launchBrowser();
try {
  if (command === "make-jpeg") {
    const page = await browser.newPage();
    const base64 = await page.evaluate(
      async ([w, h]) => {
        const canvas = new OffscreenCanvas(w, h);
        const ctx = canvas.getContext("2d");
        const sky = ctx.createLinearGradient(0, 0, w, h);
        sky.addColorStop(0, "#e8c2a8");
        sky.addColorStop(1, "#b77f63");
        ctx.fillStyle = sky;
        ctx.fillRect(0, 0, w, h);
        // Deterministic blotches and hairs, so the JPEG has photo-like detail to code.
        let seed = 42;
        const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
        for (let i = 0; i < 4000; i++) {
          ctx.fillStyle = `rgba(${90 + rand() * 80}, ${40 + rand() * 60}, ${30 + rand() * 50}, ${rand() * 0.4})`;
          ctx.beginPath();
          ctx.ellipse(rand() * w, rand() * h, 4 + rand() * 60, 4 + rand() * 40, rand() * 3, 0, Math.PI * 2);
          ctx.fill();
        }
        ctx.strokeStyle = "rgba(40, 25, 20, 0.7)";
        for (let i = 0; i < 300; i++) {
          ctx.lineWidth = 1 + rand() * 3;
          ctx.beginPath();
          ctx.moveTo(rand() * w, rand() * h);
          ctx.quadraticCurveTo(rand() * w, rand() * h, rand() * w, rand() * h);
          ctx.stroke();
        }
        const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.9 });
        const bytes = new Uint8Array(await blob.arrayBuffer());
        let binary = "";
        for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(binary);
      },
      [Number(width), Number(height)],
    );
    fs.writeFileSync(file, Buffer.from(base64, "base64"));
  } else if (command === "scrub-wasm") {
    const server = await startServer();
    try {
      const page = await browser.newPage();
      await page.goto(`${server.origin}/`);
      await page.waitForSelector("body[data-state=ready]");
      const result = await page.evaluate(async (base64) => {
        const hifu = await import("/pkg/hifu.js");
        const wasm = await hifu.default({ module_or_path: "/pkg/hifu_bg.wasm" });
        // The fingerprint and text checks' own work on a 4000 × 3000 pattern: median of 5 runs
        // after a warm-up.
        const median5 = (bench) => {
          const t = [];
          for (let i = 0; i < 6; i++) {
            const s = performance.now();
            bench.run();
            if (i > 0) t.push(performance.now() - s);
          }
          bench.free();
          return Math.round(t.sort((a, b) => a - b)[2]);
        };
        const fingerprintScanMs = median5(new hifu.FingerprintBench(4000, 3000));
        const textWeights = new Uint8Array(await (await fetch("/models/text/ppocr_det.safetensors")).arrayBuffer());
        const textScanMs = median5(new hifu.TextBench(textWeights, 4000, 3000));
        const [skinWeights, calibration, labels, tattoo] = await Promise.all([
          fetch("/models/skin/skin.safetensors").then((r) => r.arrayBuffer()),
          fetch("/models/skin/calibration.json").then((r) => r.text()),
          fetch("/models/skin/labels.json").then((r) => r.text()),
          fetch("/models/tattoo/tattoo.json").then((r) => r.text()),
        ]);
        const tattooScanMs = median5(
          new hifu.TattooBench(new Uint8Array(skinWeights), calibration, labels, tattoo, 4000, 3000),
        );
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const start = performance.now();
        // The raw wasm has no face detector loaded: time the metadata scrub alone (explicit
        // opt-out; without it scrub fails closed with face.weights_missing).
        const out = hifu.scrub(bytes, { face: { detect: false } });
        const ms = performance.now() - start;
        // The embedding API with the face detector the page serves, as the clinician page set
        // it up (its fingerprint check on): what a clinician waits for.
        const api = await import("/hifu.js");
        await api.init();
        const withFaces = api.scrub(bytes);
        return {
          ms,
          fingerprint_scan_ms: fingerprintScanMs,
          text_scan_ms: textScanMs,
          tattoo_scan_ms: tattooScanMs,
          faces: withFaces.report.faces?.length ?? 0,
          bytes_out: out.image.length,
          output_kind: out.report.output_kind,
          wasm_memory_mb: wasm.memory.buffer.byteLength / 2 ** 20,
        };
      }, fs.readFileSync(file).toString("base64"));
      // The checks are chosen at init(), once per page, and the clinician page has already
      // called init() with its own: each timing below gets a fresh page, on a served file that
      // loads no script.
      // Where each shared scrub's time went (hifu.js sharedStats.last), by its init options.
      const splits = {};
      const timeScrub = async (options, shared = false) => {
        const fresh = await browser.newPage();
        await fresh.goto(`${server.origin}/favicon.svg`);
        const [ms, split] = await fresh.evaluate(
          async ([base64, options, shared]) => {
            const api = await import("/hifu.js");
            await api.init(options);
            // The helpers' start (their wasm and weights) is not part of a photo's time.
            if (shared && (await api.helpersReady()) < 1) throw new Error("no helper worker started");
            const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
            const start = performance.now();
            if (shared) await api.scrubShared(bytes);
            else api.scrub(bytes);
            return [performance.now() - start, shared ? api.sharedStats.last : null];
          },
          [fs.readFileSync(file).toString("base64"), options, shared],
        );
        await fresh.close();
        if (split) splits[JSON.stringify(options)] = split;
        return ms;
      };
      result.ms_faces = await timeScrub({});
      result.ms_faces_text = await timeScrub({ textCheck: true });
      result.ms_faces_tattoo = await timeScrub({ tattooCheck: true });
      result.ms_faces_fingerprint = await timeScrub({ fingerprintCheck: true });
      result.ms_faces_shared = await timeScrub({ helpers: 1 }, true);
      const all = { textCheck: true, tattooCheck: true, fingerprintCheck: true };
      result.ms_all = await timeScrub(all);
      result.ms_all_shared = await timeScrub({ ...all, helpers: 1 }, true);
      for (let round = 1; round < Number(process.env.HIFU_BENCH_ROUNDS ?? 1); round++) {
        // More rounds of the shared rows alone (medians for BENCHMARKS.md).
        for (const key of ["ms_faces", "ms_faces_shared", "ms_all", "ms_all_shared"]) result[key] = [result[key]].flat();
        result.ms_faces.push(await timeScrub({}));
        result.ms_faces_shared.push(await timeScrub({ helpers: 1 }, true));
        result.ms_all.push(await timeScrub(all));
        result.ms_all_shared.push(await timeScrub({ ...all, helpers: 1 }, true));
      }
      result.shared_splits = splits;
      console.log(JSON.stringify(result));
    } finally {
      server.stop();
    }
  } else {
    throw new Error(`unknown command ${command}`);
  }
} finally {
  await browser.close();
}
