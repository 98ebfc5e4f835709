// The scrub page: one photo in, the clean copy and what was removed out. All work happens in
// the wasm module; nothing is sent anywhere (the server's CSP forbids it as well).
import init, { categories, scrub } from "./pkg/hifu.js";

const $ = (id) => document.getElementById(id);

/** Labels come from the core, so the page and `hifu inspect` say the same thing. */
let categoryLabels = new Map();

const ORIENTATION_LABELS = {
  1: "Already upright: nothing to do",
  2: "Mirrored left–right to upright",
  3: "Rotated 180° to upright",
  4: "Mirrored top–bottom to upright",
  5: "Transposed to upright",
  6: "Rotated 90° clockwise to upright",
  7: "Transversed to upright",
  8: "Rotated 90° counter-clockwise to upright",
};

const OUTPUT_KIND_LABELS = {
  lossless: "Lossless: only the container was rewritten; the image data is bit-identical",
  re_encoded: "Re-encoded",
};

let downloadUrl = null;

function setState(state, message) {
  document.body.dataset.state = state;
  if (message !== undefined) $("status").textContent = message;
}

function formatBytes(n) {
  return n < 1024 * 1024 ? `${Math.round(n / 1024)} KB` : `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

function categoryLabel(name) {
  const label = categoryLabels.get(name) ?? name.replaceAll("_", " ");
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** Draws with the browser's own decoder; false when it cannot decode the format (e.g. HEIC). */
async function draw(canvas, blob) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    canvas.hidden = true;
    return false;
  }
  canvas.hidden = false;
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0);
  bitmap.close();
  return true;
}

function showError(error) {
  $("error-message").textContent = error?.message ?? String(error);
  $("error-code").textContent = error?.code ?? "unknown";
  $("error").hidden = false;
  setState("error", "Failed: see the message below.");
}

function showReport(file, result) {
  const { report, image, mime } = result;
  const list = $("removed");
  list.replaceChildren(
    ...report.removed.map((name) => {
      const li = document.createElement("li");
      li.dataset.category = name;
      li.textContent = categoryLabel(name);
      return li;
    }),
  );
  $("nothing-removed").hidden = report.removed.length > 0;
  $("orientation").textContent =
    ORIENTATION_LABELS[report.orientation_applied] ?? `EXIF orientation ${report.orientation_applied}`;
  const format = mime === "image/png" ? "PNG" : "JPEG";
  $("output-kind").textContent =
    report.output_kind === "lossless" ? OUTPUT_KIND_LABELS.lossless : `${OUTPUT_KIND_LABELS.re_encoded} as ${format}`;
  $("before-size").textContent = `(${formatBytes(file.size)})`;
  $("after-size").textContent = `(${formatBytes(image.length)}, ${format})`;

  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  const blob = new Blob([image], { type: mime });
  downloadUrl = URL.createObjectURL(blob);
  const stem = file.name.replace(/\.[^.]*$/, "") || "photo";
  $("download").href = downloadUrl;
  $("download").download = `${stem}-clean.${format === "PNG" ? "png" : "jpg"}`;
  return blob;
}

async function handle(file) {
  if (!file) return;
  $("error").hidden = true;
  $("result").hidden = true;
  setState("working", `Cleaning ${file.name}…`);
  // Let the status paint before the (synchronous) scrub takes the main thread.
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

  const bytes = new Uint8Array(await file.arrayBuffer());
  let result;
  try {
    result = scrub(bytes, { format: "auto" });
  } catch (error) {
    showError(error);
    return;
  } finally {
    bytes.fill(0); // this page's copy of the original
  }

  if (result.report.status === "excluded") {
    // The face gate (issue 3) withheld the photo: there is no clean copy to show.
    const reason = result.report.gate?.reason?.replaceAll("_", " ") ?? "not safe to share";
    setState("excluded", `${file.name} was not cleaned: excluded (${reason}).`);
    return;
  }
  const clean = showReport(file, result);
  $("result").hidden = false;
  const beforeShown = await draw($("before"), file);
  $("before-unavailable").hidden = beforeShown;
  await draw($("after"), clean);
  setState("done", `Cleaned ${file.name}.`);
}

function wireInputs() {
  const drop = $("drop");
  $("file").addEventListener("change", (event) => handle(event.target.files[0]));
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    handle(event.dataTransfer.files[0]);
  });
}

init({ module_or_path: new URL("./pkg/hifu_bg.wasm", import.meta.url) })
  .then(() => {
    categoryLabels = new Map(categories().map(({ name, label }) => [name, label]));
    wireInputs();
    setState("ready", "Ready: drop or choose a photo.");
  })
  .catch((error) => {
    setState("error", `hifu could not start in this browser: ${error.message}`);
  });
