// The embedding API: one ES module over the wasm core. `init()` once (further calls share the
// same promise), then `scrub`, `classify`, `deidentify`, `Sealer`. Types: hifu.d.ts.
// Everything runs in this page; the only requests are for this module's own files (the wasm,
// the face detector weights, and for `classify` the model files), resolved against this
// module's URL unless told.
//
// Faces fail closed: `init` fetches models/face/yunet_n.safetensors and centerface.safetensors
// once and builds the detector. If that fails, `init` still resolves (the rest of the API works) but every `scrub`
// throws `face.weights_missing` (or `face.bad_weights`) unless the caller explicitly passes
// `face: { detect: false }`. There is no path that silently skips detection.
import wasmInit, * as wasm from "./pkg/hifu.js";

let ready = null;
/** The `FaceDetector`, or the HifuError that explains why there is none. */
let faceDetector = null;
let faceError = null;
let classifierPromise = null;
let classifierBase = null;
/** Set when `init({ tattooCheck: true })` was asked for and the check did not load. */
let tattooError = null;
/** Set when `init({ textCheck: true })` was asked for and the check did not load. */
let textError = null;
/** The helper workers `scrubShared` hands tiles to (`init({ helpers })`): those up so far. */
const helperList = [];
/** Resolves once every helper asked for has started or failed to. */
let helpers = Promise.resolve();
/** Shared scrubs run one at a time: the detector holds one scrub between begin and finish. */
let sharedQueue = Promise.resolve();

/**
 * Loads the wasm once. `wasmUrl` / `modelBase` override where the files are fetched from.
 * `tattooCheck: true` adds the tattoo check to every `scrub` (models/skin/ and
 * models/tattoo/tattoo.json); if it does not load, `scrub` fails closed with `tattoo.model_missing`.
 * `textCheck: true` adds the burned-in text check (models/text/ppocr_det.safetensors, 1.2 MB,
 * fetched only then); if it does not load, `scrub` fails closed with `text.model_missing`.
 * `fingerprintCheck: true` adds the fingerprint check (no model file).
 * `helpers: n` starts n Web Workers (`hifu-helper.js`, each its own wasm, face detector and
 * the same checks) that `scrubShared` hands part of the face detection and the checks to; the
 * page works without them. Once ready, a small made-up photo goes through `scrub` once
 * (`warmUp`; `warmUp: false` skips it) so that the first real photo runs the browser's
 * optimised code.
 */
export function init(options = {}) {
  if (options.modelBase) classifierBase = new URL(options.modelBase, globalThis.document?.baseURI ?? self.location.href);
  if (!ready) {
    const url = options.wasmUrl ?? new URL("./pkg/hifu_bg.wasm", import.meta.url);
    const faceBase = options.faceModelBase
      ? new URL(options.faceModelBase, globalThis.document?.baseURI ?? self.location.href)
      : new URL("./models/face/", import.meta.url);
    const skinBase = classifierBase ?? new URL("./models/skin/", import.meta.url);
    const tattooBase = new URL("./models/tattoo/", import.meta.url);
    const textBase = new URL("./models/text/", import.meta.url);
    ready = wasmInit({ module_or_path: url })
      .then(() => loadFaceDetector(faceBase))
      .then(() => faceDetector?.setFingerprintCheck(Boolean(options.fingerprintCheck)))
      .then(() => (options.textCheck ? loadTextCheck(textBase) : undefined))
      .then(() => (options.tattooCheck ? loadTattooCheck(skinBase, tattooBase) : undefined));
    ready.catch(() => {
      ready = null; // let a later call try again
    });
    // After `ready`, not part of it: the page is usable at once, and a photo dropped during
    // the warm-up only waits for it to end.
    if (options.warmUp !== false) ready.then(() => setTimeout(warmUp, 0), () => {});
    if (options.helpers > 0 && typeof Worker === "function") {
      // The helpers load the same checks, so that one of them can run them while the tiles run.
      helpers = startHelpers(options.helpers, {
        wasmUrl: String(url),
        faceModelBase: String(faceBase),
        modelBase: String(skinBase),
        textCheck: Boolean(options.textCheck),
        tattooCheck: Boolean(options.tattooCheck),
        fingerprintCheck: Boolean(options.fingerprintCheck),
        warmUp: options.warmUp !== false,
      });
    }
  }
  return ready;
}

/**
 * A 480 × 360 made-up photo, turned a quarter by its EXIF orientation so that it is decoded,
 * turned, looked at by the face detector and the checks turned on, and re-encoded: one `scrub`
 * through every stage. A browser compiles wasm with a quick baseline compiler first and
 * replaces a function with optimised code once it has run a while; without this the first
 * real photo of a page ran mostly baseline code (BENCHMARKS.md, *scrub*). Nothing of it is kept;
 * a warm-up that fails changes nothing. Resolves to whether the photo went through every stage
 * (face detection and a re-encode).
 */
export async function warmUp() {
  if (!faceDetector || typeof OffscreenCanvas !== "function") return false;
  try {
    const canvas = new OffscreenCanvas(480, 360);
    const context = canvas.getContext("2d");
    const gradient = context.createLinearGradient(0, 0, 480, 360);
    gradient.addColorStop(0, "#e8b8a0");
    gradient.addColorStop(1, "#7a4a3a");
    context.fillStyle = gradient;
    context.fillRect(0, 0, 480, 360);
    const jpeg = new Uint8Array(await (await canvas.convertToBlob({ type: "image/jpeg", quality: 0.9 })).arrayBuffer());
    const bytes = new Uint8Array(jpeg.length + EXIF_ORIENTATION_6.length);
    bytes.set(jpeg.subarray(0, 2));
    bytes.set(EXIF_ORIENTATION_6, 2);
    bytes.set(jpeg.subarray(2), 2 + EXIF_ORIENTATION_6.length);
    const { report } = faceDetector.scrub(bytes);
    return report.orientation_applied === 6 && report.output_kind === "re_encoded";
  } catch {
    return false; // nothing to undo
  }
}

/** An APP1 segment holding EXIF with one tag, Orientation = 6 (big-endian TIFF, one IFD entry). */
const EXIF_ORIENTATION_6 = new Uint8Array([
  0xff, 0xe1, 0x00, 0x22, 0x45, 0x78, 0x69, 0x66, 0x00, 0x00, 0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08,
  0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
]);

/** A helper that has not answered for this long is given up (its tiles run here). */
const HELPER_MS = 30_000;

/**
 * Starts `count` helper workers; each joins `helperList` once its face detector has loaded.
 * One that cannot start (a CSP without worker-src, a missing hifu-helper.js, no weights) is
 * left out: `scrubShared` then does its share itself.
 */
async function startHelpers(count, options) {
  const started = Array.from({ length: count }, async (_, k) => {
    let worker;
    try {
      worker = new Worker(new URL("./hifu-helper.js", import.meta.url), { type: "module" });
    } catch {
      return;
    }
    const helper = { worker, next: 0, waiting: new Map() };
    worker.onmessage = ({ data }) => {
      const settle = helper.waiting.get(data.id);
      helper.waiting.delete(data.id);
      settle?.(data);
    };
    worker.onerror = () => {
      // A helper that died fails what it held; scrubShared runs those tiles itself.
      for (const settle of helper.waiting.values()) settle({ error: "helper stopped" });
      helper.waiting.clear();
      helper.dead = true;
    };
    // The first helper alone loads the checks: it is the one that runs them.
    helper.checks = k === 0 && (options.textCheck || options.tattooCheck || options.fingerprintCheck);
    const own = helper.checks ? options : { ...options, textCheck: false, tattooCheck: false, fingerprintCheck: false };
    const reply = await ask(helper, { type: "init", options: own });
    if (!reply.ok) {
      helper.dead = true;
      worker.terminate();
      return;
    }
    helperList.push(helper);
  });
  await Promise.all(started);
}

/**
 * Sends `message` to a helper; resolves to its reply, or to `{ error }` when it failed or did
 * not answer within HELPER_MS (it is then given up).
 */
function ask(helper, message, transfer = []) {
  if (helper.dead) return Promise.resolve({ error: "helper stopped" });
  const id = helper.next++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      helper.waiting.delete(id);
      helper.dead = true;
      helper.worker.terminate();
      resolve({ error: "helper did not answer" });
    }, HELPER_MS);
    helper.waiting.set(id, (reply) => {
      clearTimeout(timer);
      resolve(reply);
    });
    try {
      helper.worker.postMessage({ ...message, id }, transfer);
    } catch (error) {
      helper.waiting.delete(id);
      clearTimeout(timer);
      resolve({ error: String(error?.message ?? error) });
    }
  });
}

function requireReady() {
  if (!ready) throw hifuError("init.missing", "Call and await init() before using hifu.");
}

/** `HifuError`-shaped error for failures of this wrapper itself. */
function hifuError(code, message) {
  const error = new Error(message);
  error.name = "HifuError";
  error.code = code;
  return error;
}

async function loadFaceDetector(base) {
  faceDetector = null;
  faceError = null;
  try {
    const [yunet, centerface] = await Promise.all([
      fetchModelFile(base, "yunet_n.safetensors", "bytes"),
      fetchModelFile(base, "centerface.safetensors", "bytes"),
    ]);
    faceDetector = new wasm.FaceDetector(yunet, centerface);
  } catch (error) {
    const code = error.code === "face.bad_weights" ? error.code : "face.weights_missing";
    faceError = hifuError(
      code,
      `Face detection cannot run, so no photo is scrubbed: the detector weights ` +
        `(${base.pathname}yunet_n.safetensors, centerface.safetensors) did not load (${error.message}). ` +
        `Ask IT to run scripts/convert-yunet and scripts/convert-centerface on the server.`,
    );
  }
}

async function loadTattooCheck(skinBase, tattooBase) {
  tattooError = null;
  if (!faceDetector) return; // scrub already fails closed on the face detector
  try {
    const [weights, calibration, labels, head] = await Promise.all([
      fetchModelFile(skinBase, "skin.safetensors", "bytes"),
      fetchModelFile(skinBase, "calibration.json", "text"),
      fetchModelFile(skinBase, "labels.json", "text"),
      fetchModelFile(tattooBase, "tattoo.json", "text"),
    ]);
    faceDetector.setTattooCheck(weights, calibration, labels, head);
  } catch (error) {
    tattooError = hifuError(
      "tattoo.model_missing",
      `The tattoo check cannot run, so no photo is scrubbed: models/skin/ or models/tattoo/tattoo.json did not load (${error.message}). Ask IT to reinstall them.`,
    );
  }
}

async function loadTextCheck(base) {
  textError = null;
  if (!faceDetector) return; // scrub already fails closed on the face detector
  try {
    faceDetector.setTextCheck(await fetchModelFile(base, "ppocr_det.safetensors", "bytes"));
  } catch (error) {
    textError = hifuError(
      "text.model_missing",
      `The burned-in text check cannot run, so no photo is scrubbed: ${base.pathname}ppocr_det.safetensors did not load (${error.message}). Ask IT to run scripts/convert-ppocr-det on the server.`,
    );
  }
}

/** Whether the face detector loaded (scrub redacts faces); false means scrub fails closed. */
export function hasFaceDetector() {
  return faceDetector !== null;
}

/**
 * Removes all metadata, applies orientation, detects and redacts faces and applies the
 * full-face gate: `{ image, mime, report }`. Throws `face.weights_missing` when the detector
 * did not load, unless `options.face.detect === false` (an explicit decision).
 */
export function scrub(bytes, options) {
  requireReady();
  if (tattooError) throw tattooError;
  if (textError) throw textError;
  if (faceDetector) return faceDetector.scrub(bytes, options);
  if (options?.face?.detect === false) return wasm.scrub(bytes, options);
  if (faceError) throw faceError;
  // init() has not finished: the wasm's own fail-closed error.
  return wasm.scrub(bytes, options);
}

/**
 * `scrub`, with the work shared with the helper workers (`init({ helpers })`): this worker
 * decodes the photo and hands tiles of it to the helpers as they ask for more, which send back
 * their boxes; when checks are on, the helper that loaded them decodes its own copy of the file
 * and runs them first (text, tattoo, fingerprint look at the photo as decoded), so they overlap
 * the face detection. The rest (second look, gate, redaction, fills, output) happens here. Same result
 * as `scrub`. Without helpers, or with face detection off, it is `scrub`. A tile or a check
 * whose helper fails is run here.
 */
export function scrubShared(bytes, options) {
  requireReady();
  const run = sharedQueue.then(() => scrubWithHelpers(bytes, options));
  sharedQueue = run.catch(() => {});
  return run;
}

/** How many helper workers are up, once every one asked for has started or failed to. */
export async function helpersReady() {
  await helpers;
  return helperList.filter((h) => !h.dead).length;
}

/** Tiles handed to helpers and run here, since the page loaded (for tests and benches). */
export const sharedStats = { helperTiles: 0, localTiles: 0, helperChecks: 0, helperStrips: 0, last: null };

/** Lets queued messages (helpers' replies) be handled between two tiles run here. */
function yieldToMessages() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * `finishScrub`, with the output JPEG's bottom strip coded by a helper while this worker codes
 * the top one (the joined bytes are those one worker would write). A helper that fails leaves
 * its strip to be coded here.
 */
async function finishInStrips(pool, marks) {
  const helper = pool.find((h) => !h.dead);
  const job = helper ? faceDetector.finishPixels(marks) : null;
  if (!job) return faceDetector.finishScrub(marks);
  const coded = ask(helper, { type: "strip", ...job }, [job.rgb.buffer]);
  faceDetector.codeStrips();
  const reply = await coded;
  if (reply.jpeg) sharedStats.helperStrips += 1;
  return faceDetector.finishScrub(undefined, reply.jpeg);
}

/** Tiles a helper holds at once: one to run, one waiting, so it never waits for this worker. */
const HELPER_DEPTH = 2;

async function scrubWithHelpers(bytes, options) {
  // Helpers still starting are not waited for: this photo goes without them.
  const pool = helperList.filter((h) => !h.dead);
  if (!pool.length || !faceDetector || tattooError || textError || options?.face?.detect === false) {
    return scrub(bytes, options);
  }
  const started = performance.now();
  // The checks go first, to the first helper, with a copy of the file: it decodes while this
  // worker does.
  const checker = pool.find((h) => h.checks);
  let marks = null;
  if (checker) {
    const copy = bytes.slice();
    marks = ask(checker, { type: "marks", bytes: copy, options }, [copy.buffer]);
  }
  const count = faceDetector.beginScrub(bytes, options);
  const began = performance.now();
  try {
    const jobs = faceDetector.scrubJobs();
    // Largest first; this worker and each helper take the next one as they get free.
    const queue = [...Array(count).keys()].sort((a, b) => jobs[b].width * jobs[b].height - jobs[a].width * jobs[a].height);
    const failed = [];
    const feed = async (helper) => {
      while (queue.length && !helper.dead) {
        const i = queue.shift();
        const rgb = faceDetector.tileJob(i);
        const { width, height, pooled } = jobs[i];
        const reply = await ask(helper, { type: "tile", rgb, width, height, pooled }, [rgb.buffer]);
        if (reply.error) {
          failed.push(i);
          return;
        }
        faceDetector.putJob(i, reply.faces, reply.features);
        sharedStats.helperTiles += 1;
      }
    };
    const fed = pool.map(async (helper) => {
      // The helper running the checks joins the tiles once it has answered.
      if (helper === checker) await marks;
      await Promise.all(Array.from({ length: HELPER_DEPTH }, () => feed(helper)));
    });
    let checked = null;
    marks?.then(() => (checked = performance.now()));
    while (queue.length) {
      faceDetector.runJob(queue.shift());
      sharedStats.localTiles += 1;
      await yieldToMessages();
    }
    const ran = performance.now();
    await Promise.all(fed);
    for (const i of failed) {
      faceDetector.runJob(i);
      sharedStats.localTiles += 1;
    }
    const answered = performance.now();
    const reply = marks ? await marks : null;
    if (reply?.marks) sharedStats.helperChecks += 1;
    const result = await finishInStrips(pool, reply?.marks);
    const done = performance.now();
    // Where the last shared scrub's time went (ms), for benches.
    sharedStats.last = {
      begin: began - started,
      local: ran - began,
      wait: answered - ran,
      finish: done - answered,
      checks: checked === null ? null : checked - started,
    };
    return result;
  } catch (error) {
    faceDetector.cancelScrub();
    throw error;
  }
}

/**
 * For helper workers (`hifu-helper.js`): the checks turned on here (text, tattoo, fingerprint)
 * on `bytes` decoded as `scrub` decodes them, for another worker's shared scrub.
 */
export function checkMarks(bytes, options) {
  requireReady();
  if (!faceDetector) throw faceError ?? hifuError("face.weights_missing", "The face detector did not load.");
  return faceDetector.checkMarks(bytes, options);
}

/** For helper workers (`hifu-helper.js`): one strip of another worker's output JPEG. */
export function encodeStrip(rgb, width, height, rows, quality, chroma) {
  requireReady();
  return wasm.encodeStrip(rgb, width, height, rows, quality, chroma);
}

/** For helper workers (`hifu-helper.js`): YuNet's pass over one tile another worker sent. */
export function detectTile(rgb, width, height, pooled) {
  requireReady();
  if (!faceDetector) throw faceError ?? hifuError("face.weights_missing", "The face detector did not load.");
  return faceDetector.detectTile(rgb, width, height, pooled);
}

/** What metadata a photo carries (categories, never values), without changing it. */
export function inspect(bytes, limits) {
  requireReady();
  return wasm.inspect(bytes, limits);
}

/** Every metadata category with its English label. */
export function categories() {
  requireReady();
  return wasm.categories();
}

/** Plans a contribution (records CSV + photo names → de-identified links). */
export function deidentify(records, siteKey, photoNames, options) {
  requireReady();
  return wasm.deidentify(records, siteKey, photoNames, options);
}

/** The largest records or opt-out file `deidentify` reads, in bytes (read one byte past it). */
export function maxRecordsFileBytes() {
  requireReady();
  return wasm.maxRecordsFileBytes();
}

/** A new random site key in `hifu site keygen`'s text format. */
export function generateSiteKey() {
  requireReady();
  return wasm.generateSiteKey();
}

/** The streaming bundle sealer (see README, records section). */
export const Sealer = wasm.Sealer;

/** Whether this build of the wasm carries the classifier at all. */
export function hasClassifier() {
  return typeof wasm.Classifier === "function";
}

/** A model request that makes no progress (no headers, no bytes) for this long is aborted. */
const STALL_MS = 15_000;

async function fetchModelFile(base, name, kind) {
  const url = new URL(name, base);
  name = name || url.pathname;
  let bytes;
  try {
    bytes = await fetchWatched(url, "default").catch((error) =>
      // A request that stalled (seen in Chromium when two workers fetch the same small file at
      // once, rarely) is asked once more past the HTTP cache, rather than hanging the page.
      error.name === "AbortError" ? fetchWatched(url, "reload") : Promise.reject(error),
    );
  } catch (error) {
    if (error.name === "HifuError") throw error;
    throw hifuError("model.missing", `${name} could not be fetched (${error.message})`);
  }
  if (bytes.status) throw hifuError("model.missing", `${name}: HTTP ${bytes.status}`);
  return kind === "bytes" ? bytes : new TextDecoder().decode(bytes);
}

/** The body of `url` as bytes (or `{ status }` when not ok), aborted after STALL_MS without progress. */
async function fetchWatched(url, cache) {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), STALL_MS);
  const progress = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), STALL_MS);
  };
  try {
    const response = await fetch(url, { credentials: "same-origin", cache, signal: controller.signal });
    if (!response.ok) return { status: response.status };
    progress();
    const reader = response.body.getReader();
    const chunks = [];
    let length = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      progress();
      chunks.push(value);
      length += value.length;
    }
    const bytes = new Uint8Array(length);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return bytes;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The classifier, built once from `models/skin/` (skin.safetensors, calibration.json,
 * labels.json). Rejects with code `model.missing` when the files or the wasm class are absent.
 */
export function loadClassifier(modelBase) {
  requireReady();
  if (!classifierPromise) {
    const base = modelBase
      ? new URL(modelBase, globalThis.document?.baseURI ?? self.location.href)
      : (classifierBase ?? new URL("./models/skin/", import.meta.url));
    classifierPromise = (async () => {
      if (!hasClassifier()) throw hifuError("model.missing", "this build has no classifier");
      const [weights, calibration, labels] = await Promise.all([
        fetchModelFile(base, "skin.safetensors", "bytes"),
        fetchModelFile(base, "calibration.json", "text"),
        fetchModelFile(base, "labels.json", "text"),
      ]);
      return new wasm.Classifier(weights, calibration, labels);
    })();
    classifierPromise.catch(() => {
      classifierPromise = null;
    });
  }
  return classifierPromise;
}

/**
 * Classifies one photo (pass the scrubbed image so the model sees what would be shared):
 * every class with its calibrated probability (most probable first), the abstention and the
 * heat map. Decision support, not a diagnosis.
 */
export async function classify(bytes, options = {}) {
  const classifier = await loadClassifier(options.modelBase);
  return classifier.classify(bytes);
}
