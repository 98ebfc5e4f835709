// The embedding API: one ES module over the wasm core. `init()` once (further calls share the
// same promise), then `scrub`, `classify`, `deidentify`, `Sealer`. Types: hifu.d.ts.
// Everything runs in this page; the only requests are for this module's own files (the wasm
// and, for `classify`, the model files), resolved against this module's URL unless told.
import wasmInit, * as wasm from "./pkg/hifu.js";

let ready = null;
let classifierPromise = null;
let classifierBase = null;

/** Loads the wasm once. `wasmUrl` / `modelBase` override where the files are fetched from. */
export function init(options = {}) {
  if (options.modelBase) classifierBase = new URL(options.modelBase, globalThis.document?.baseURI ?? self.location.href);
  if (!ready) {
    const url = options.wasmUrl ?? new URL("./pkg/hifu_bg.wasm", import.meta.url);
    ready = wasmInit({ module_or_path: url }).then(() => undefined);
    ready.catch(() => {
      ready = null; // let a later call try again
    });
  }
  return ready;
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

/** Removes all metadata, applies orientation, redacts faces: `{ image, mime, report }`. */
export function scrub(bytes, options) {
  requireReady();
  return wasm.scrub(bytes, options);
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

async function fetchModelFile(base, name, kind) {
  const url = new URL(name, base);
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin" });
  } catch (error) {
    throw hifuError("model.missing", `${name} could not be fetched (${error.message})`);
  }
  if (!response.ok) throw hifuError("model.missing", `${name}: HTTP ${response.status}`);
  return kind === "bytes" ? new Uint8Array(await response.arrayBuffer()) : response.text();
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
