// A helper worker for `scrubShared` (hifu.js): its own wasm, face detector and checks. It runs
// the detector's passes over tiles another worker of this page sends and sends back the boxes,
// and, when asked, runs the checks (text, tattoo, fingerprint) on a copy of the file and sends
// back what they found, and codes a strip of the other worker's output JPEG. Each tile, file
// and strip is wiped once answered.
import * as hifu from "./hifu.js";

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  if (type === "init") {
    try {
      const { wasmUrl, faceModelBase, modelBase, textCheck, tattooCheck, fingerprintCheck, warmUp } = data.options;
      // Warmed up before it answers, so its first tiles run optimised code.
      await hifu.init({ wasmUrl, faceModelBase, modelBase, textCheck, tattooCheck, fingerprintCheck, warmUp: false });
      if (warmUp !== false) await hifu.warmUp();
      self.postMessage({ id, ok: hifu.hasFaceDetector() });
    } catch (error) {
      self.postMessage({ id, ok: false, error: String(error?.message ?? error) });
    }
    return;
  }
  if (type === "tile") {
    try {
      const { faces, features } = hifu.detectTile(data.rgb, data.width, data.height, data.pooled);
      const transfer = features ? [faces.buffer, features.buffer] : [faces.buffer];
      self.postMessage({ id, faces, features }, transfer);
    } catch (error) {
      self.postMessage({ id, error: String(error?.message ?? error) });
    } finally {
      data.rgb.fill(0);
    }
  }
  if (type === "strip") {
    try {
      const jpeg = hifu.encodeStrip(data.rgb, data.width, data.height, data.rows, data.quality, data.chroma);
      self.postMessage({ id, jpeg }, [jpeg.buffer]);
    } catch (error) {
      self.postMessage({ id, error: String(error?.message ?? error) });
    } finally {
      data.rgb.fill(0);
    }
  }
  if (type === "marks") {
    try {
      self.postMessage({ id, marks: hifu.checkMarks(data.bytes, data.options) });
    } catch (error) {
      self.postMessage({ id, error: String(error?.message ?? error) });
    } finally {
      data.bytes.fill(0);
    }
  }
};
