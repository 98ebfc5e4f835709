// A helper worker for `scrubShared` (hifu.js): its own wasm and face detector, which runs the
// detector's passes over tiles another worker of this page sends, and sends back the boxes.
// It sees tiles of the photo only, never the file; each tile is wiped once answered.
import * as hifu from "./hifu.js";

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  if (type === "init") {
    try {
      await hifu.init({ wasmUrl: data.options.wasmUrl, faceModelBase: data.options.faceModelBase });
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
};
