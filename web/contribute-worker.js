// One wasm instance per worker: scrubs one photo at a time, classifies the upright original
// (decoded in memory: a redacted eye band is not part of the lesion) and draws a small
// thumbnail of the clean copy for the review grid. The original bytes never leave this worker;
// what comes back is the clean copy (a Blob), its report and the classifier's verdict.
import * as hifu from "./hifu.js";

// The contributor page also checks for burned-in text (filled, like faces), tattoos and
// fingerprints: a flagged photo waits for the reviewer.
const ready = hifu.init({ tattooCheck: true, textCheck: true, fingerprintCheck: true });
const THUMB = 160;

async function thumbnail(blob) {
  const bitmap = await createImageBitmap(blob);
  const scale = Math.min(1, THUMB / Math.max(bitmap.width, bitmap.height));
  const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * scale)), Math.max(1, Math.round(bitmap.height * scale)));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return canvas.convertToBlob({ type: "image/jpeg", quality: 0.8 });
}

async function classifyVerdict(image) {
  try {
    const c = await hifu.classify(image);
    const top = c.classes[0];
    return { decision: c.abstention.decision, top: top && { code: top.code, en: top.en, ja: top.ja, probability: top.probability } };
  } catch (error) {
    return { decision: "unavailable", error: { code: error.code ?? "unknown", message: error.message } };
  }
}

async function process(file) {
  await ready;
  const bytes = new Uint8Array(await file.arrayBuffer());
  let result;
  try {
    try {
      result = hifu.scrub(bytes, { format: "auto" });
    } catch (error) {
      return { status: "error", error: { code: error.code ?? "unknown", message: error.message } };
    }
    if (result.report.status !== "ok") return { status: result.report.status, report: result.report };
    result.classification = await classifyVerdict(bytes);
  } finally {
    bytes.fill(0);
  }
  const { report, image, mime, classification } = result;
  const clean = new Blob([image], { type: mime });
  return { status: "ok", report, mime, image: clean, thumb: await thumbnail(clean), classification };
}

self.onmessage = async ({ data: { id, file } }) => {
  try {
    self.postMessage({ id, result: await process(file) });
  } catch (error) {
    self.postMessage({ id, result: { status: "error", error: { code: "page.worker", message: String(error?.message ?? error) } } });
  }
};
