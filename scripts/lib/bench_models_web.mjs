// Browser half of scripts/bench (bench_models): candle-wasm (hifu's page build, web/pkg) vs
// onnxruntime-web (wasm backend, 1 thread, SIMD) in the same page and run, network only, on the
// same deterministic inputs as the native benches. A tiny same-origin static server serves
// /pkg/ (web/pkg), /ort/ (onnxruntime-web's dist, $ORT_WEB_DIST) and /m/ (the model files).
//   node scripts/lib/bench_models_web.mjs YUNET.onnx [ITERATIONS]
// Prints one JSON line (medians in ms).
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { launchBrowser, root } from "../../tests/e2e/serve.mjs";

const [yunetOnnx, iterations = "20"] = process.argv.slice(2);
const ortDist = process.env.ORT_WEB_DIST;
if (!ortDist || !fs.existsSync(ortDist)) throw new Error("set ORT_WEB_DIST to onnxruntime-web/dist");
const routes = {
  "/pkg/": path.join(root, "web/pkg"),
  "/ort/": ortDist,
};
const models = {
  "/m/yunet.onnx": yunetOnnx,
  "/m/yunet.safetensors": path.join(root, "models/face/yunet_n.safetensors"),
  "/m/skin.onnx": path.join(root, "models/skin/skin.onnx"),
  "/m/skin.safetensors": path.join(root, "models/skin/skin.safetensors"),
  "/m/calibration.json": path.join(root, "models/skin/calibration.json"),
};
const types = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm" };

const server = http.createServer((req, res) => {
  const url = decodeURIComponent(new URL(req.url, "http://x").pathname);
  let file = models[url];
  for (const [prefix, dir] of Object.entries(routes)) {
    if (!file && url.startsWith(prefix) && !url.includes("..")) file = path.join(dir, url.slice(prefix.length));
  }
  if (url === "/") {
    res.writeHead(200, { "content-type": "text/html" });
    return res.end("<!doctype html><title>hifu bench</title>");
  }
  if (!file || !fs.existsSync(file)) {
    res.writeHead(404);
    return res.end();
  }
  res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  page.on("console", (m) => process.stderr.write(`[page] ${m.text()}\n`));
  await page.goto(`${origin}/`);
  const result = await page.evaluate(async (n) => {
    const median = async (f) => {
      for (let i = 0; i < 3; i++) await f(); // warm-up
      const t = [];
      for (let i = 0; i < n; i++) {
        const s = performance.now();
        await f();
        t.push(performance.now() - s);
      }
      t.sort((a, b) => a - b);
      return Math.round(t[Math.floor(t.length / 2)] * 1000) / 1000;
    };
    const pattern = (len, scale) => {
      const a = new Float32Array(len);
      for (let i = 0; i < len; i++) a[i] = ((i * 7919) % 256) * scale;
      return a;
    };
    const bytes = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
    const out = {};

    const hifu = await import("/pkg/hifu.js");
    await hifu.default({ module_or_path: "/pkg/hifu_bg.wasm" });
    const ort = await import("/ort/ort.wasm.min.mjs");
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.simd = true;
    ort.env.wasm.wasmPaths = "/ort/";
    out.onnxruntime_web = ort.env.versions?.web ?? "?";
    const ortSession = (p) =>
      ort.InferenceSession.create(p, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });

    const yunet = new hifu.YuNetBench(await bytes("/m/yunet.safetensors"), 640);
    out.candle_wasm_yunet_640_ms = await median(() => yunet.run());
    const ys = await ortSession("/m/yunet.onnx");
    const yx = new ort.Tensor("float32", pattern(3 * 640 * 640, 1), [1, 3, 640, 640]);
    out.ort_web_yunet_640_ms = await median(() => ys.run({ [ys.inputNames[0]]: yx }));

    const calibration = await (await fetch("/m/calibration.json")).text();
    const size = JSON.parse(calibration).preprocessing.size;
    const skin = new hifu.SkinBench(await bytes("/m/skin.safetensors"), calibration);
    out.candle_wasm_skin_ms = await median(() => skin.run());
    const ss = await ortSession("/m/skin.onnx");
    const sx = new ort.Tensor("float32", pattern(3 * size * size, 1 / 128), [1, 3, size, size]);
    out.ort_web_skin_ms = await median(() => ss.run({ [ss.inputNames[0]]: sx }));
    out.skin_size = size;

    for (const [c, hw, s] of [[64, 80, 1], [64, 40, 1], [64, 160, 1], [16, 320, 2]]) {
      const d = new hifu.DepthwiseBench(c, hw, s);
      out[`dw_${c}x${hw}x${hw}_s${s}`] = {
        hifu_ms: await median(() => d.hifu()),
        candle_grouped_ms: await median(() => d.candle_grouped()),
      };
    }
    return out;
  }, Number(iterations));
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  server.close();
}
