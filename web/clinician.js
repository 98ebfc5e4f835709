// The clinician flow, shared by index.html and the <hifu-assist> component: one photo in
// (drop, paste, pick, camera) → the scrubbed preview with face boxes, the removed metadata,
// and the differential diagnosis. `mountClinician(root, host)` renders into `root` (a
// document element or a shadow root); `host.dataset.state` tells tests and embedders where
// the flow stands (loading, ready, working, done, excluded, error).
import * as hifu from "./hifu.js";
import { LANGUAGES, applyStrings, categoryLabel, diagnosisName, language, setLanguage, t } from "./i18n.js";

export const TEMPLATE = `
<div class="toolbar">
  <label class="lang"><span data-i18n="language"></span>
    <select class="lang-select">${LANGUAGES.map((l) => `<option value="${l}">${l === "ja" ? "日本語" : "English"}</option>`).join("")}</select>
  </label>
</div>
<p class="private" data-i18n="private"></p>
<div class="inputs">
  <label id="drop" class="drop" tabindex="-1">
    <input type="file" id="file" accept="image/*,.heic,.heif">
    <span class="drop-title" data-i18n="drop_title"></span>
    <span class="drop-hint" data-i18n="drop_hint"></span>
  </label>
  <label class="button camera">
    <input type="file" id="camera" accept="image/*" capture="environment">
    <span data-i18n="take_photo"></span>
  </label>
</div>
<p id="status" role="status" aria-live="polite"></p>

<section id="error" class="error" role="alert" hidden>
  <h2 data-i18n="error_title"></h2>
  <p id="error-message"></p>
  <p class="muted"><span data-i18n="error_code"></span> <code id="error-code"></code></p>
</section>

<section id="result" hidden aria-live="polite">
  <div class="compare">
    <figure>
      <canvas id="before" data-i18n-attr="aria-label:original_photo"></canvas>
      <p id="before-unavailable" class="muted" hidden data-i18n="before_unavailable"></p>
      <figcaption><span data-i18n="before"></span> <span id="before-size" class="muted"></span></figcaption>
    </figure>
    <figure>
      <div class="stack">
        <canvas id="after" data-i18n-attr="aria-label:clean_photo"></canvas>
        <canvas id="heat" class="heat" aria-hidden="true" hidden></canvas>
      </div>
      <figcaption><span data-i18n="after"></span> <span id="after-size" class="muted"></span></figcaption>
    </figure>
  </div>

  <section id="diagnosis" class="diagnosis">
    <h2 data-i18n="diagnosis"></h2>
    <p class="disclaimer" data-i18n="disclaimer"></p>
    <p id="verdict" class="verdict"></p>
    <ol id="classes" class="classes"></ol>
    <ul id="alerts" class="alerts"></ul>
    <p id="model-message" class="muted" hidden></p>
    <label class="toggle" id="heat-toggle-label" hidden>
      <input type="checkbox" id="heat-toggle"> <span data-i18n="heat_map"></span>
    </label>
  </section>

  <div class="facts">
    <section>
      <h2 data-i18n="removed"></h2>
      <ul id="removed"></ul>
      <p id="nothing-removed" class="muted" hidden data-i18n="nothing_removed"></p>
    </section>
    <section>
      <h2 data-i18n="done_to_photo"></h2>
      <dl>
        <dt data-i18n="orientation"></dt><dd id="orientation"></dd>
        <dt data-i18n="faces"></dt><dd id="faces"></dd>
        <dt data-i18n="output"></dt><dd id="output-kind"></dd>
      </dl>
      <a id="download" class="button" download data-i18n="download"></a>
    </section>
  </div>
</section>
`;

function formatBytes(n) {
  return n < 1024 * 1024 ? `${Math.round(n / 1024)} KB` : `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** A face as the report gives it: `{x, y, width, height}` (or `{box: [x, y, w, h]}`). */
function faceBox(face) {
  if (Array.isArray(face.box)) return face.box;
  if (face.box && typeof face.box === "object") return [face.box.x, face.box.y, face.box.width, face.box.height];
  return [face.x, face.y, face.width, face.height];
}

export function mountClinician(root, host, langHost = host) {
  const $ = (id) => root.querySelector(`#${id}`);
  const container = root.querySelector(".hifu-clinician") ?? root;
  container.innerHTML = TEMPLATE;
  let categoryLabels = new Map();
  let downloadUrl = null;
  let last = null; // { file, result, classification, classError } for re-rendering on language change
  let statusKey = ["loading", {}];

  const setState = (state, key, vars = {}) => {
    host.dataset.state = state;
    statusKey = [key, vars];
    $("status").textContent = t(key, vars);
  };

  const render = () => {
    applyStrings(root, langHost);
    root.querySelector(".lang-select").value = language();
    $("status").textContent = t(...statusKey);
    if (last?.result) renderReport(last.file, last.result);
    if (last) renderDiagnosis(last.classification, last.classError);
  };

  function showError(error) {
    $("error-message").textContent = error?.message ?? String(error);
    $("error-code").textContent = error?.code ?? "unknown";
    $("error").hidden = false;
    setState("error", "failed");
  }

  function renderReport(file, { report, image, mime }) {
    $("removed").replaceChildren(
      ...report.removed.map((name) => {
        const li = document.createElement("li");
        li.dataset.category = name;
        li.textContent = categoryLabel(name, categoryLabels.get(name));
        return li;
      }),
    );
    $("nothing-removed").hidden = report.removed.length > 0;
    const o = report.orientation_applied;
    $("orientation").textContent = o >= 1 && o <= 8 ? t(`orientation_${o}`) : `EXIF orientation ${o}`;
    const faces = report.faces ?? [];
    const boxed = faces.filter((f) => (f.redacted ?? "box") === "box").length;
    const review = report.review ?? [];
    const partial = review.some((r) => r.kind === "partial_face");
    const said = [];
    if (boxed) said.push(t("faces_found", { n: boxed }));
    if (partial) said.push(t(faces.some((f) => f.redacted === "eyes") ? "faces_partial" : "faces_partial_no_eyes"));
    if (review.some((r) => r.kind === "face_part")) said.push(t("faces_part"));
    if (review.some((r) => r.kind === "text")) said.push(t("faces_text"));
    if (review.some((r) => r.kind === "tattoo")) said.push(t("faces_tattoo"));
    if (review.some((r) => r.kind === "fingerprint")) said.push(t("faces_fingerprint"));
    $("faces").textContent = said.length ? said.join(" ") : t("faces_none");
    const format = mime === "image/png" ? "PNG" : "JPEG";
    $("output-kind").textContent = report.output_kind === "lossless" ? t("lossless") : t("re_encoded", { format });
    $("before-size").textContent = `(${formatBytes(file.size)})`;
    $("after-size").textContent = `(${formatBytes(image.length)}, ${format})`;
  }

  function renderDiagnosis(classification, classError) {
    const verdict = $("verdict");
    const message = $("model-message");
    const list = $("classes");
    verdict.className = "verdict";
    if (!classification) {
      list.replaceChildren();
      verdict.textContent = "";
      message.hidden = !classError;
      if (classError) {
        message.textContent =
          classError.code === "model.missing"
            ? t("model_missing", { detail: classError.message })
            : t("model_failed", { message: classError.message });
      }
      $("heat-toggle-label").hidden = true;
      return;
    }
    message.hidden = true;
    const decision = classification.abstention?.decision ?? "confident";
    const top = classification.classes.slice(0, 5);
    verdict.dataset.decision = decision;
    if (decision === "not_skin") {
      // Probabilities over lesion classes mean nothing for a photo that is not a lesion:
      // showing them as bars would invite a reading the model cannot support.
      verdict.textContent = t("not_skin");
      verdict.classList.add("warn");
      list.replaceChildren();
      $("alerts").replaceChildren();
      $("heat-toggle-label").hidden = true;
      return;
    } else if (decision === "not_sure") {
      verdict.textContent = t("not_sure");
      verdict.classList.add("warn");
    } else {
      verdict.textContent = t("confident", { name: diagnosisName(top[0]) });
    }
    list.replaceChildren(
      ...top.map((entry) => {
        const li = document.createElement("li");
        li.dataset.code = entry.code;
        const pct = Math.round(entry.probability * 100);
        const name = document.createElement("span");
        name.className = "name";
        name.textContent = diagnosisName(entry);
        if (entry.malignant) {
          const tag = document.createElement("span");
          tag.className = "tag";
          tag.textContent = t("malignant");
          name.append(" ", tag);
        }
        const bar = document.createElement("progress");
        bar.max = 100;
        bar.value = pct;
        bar.setAttribute("aria-label", `${diagnosisName(entry)}: ${pct}%`);
        const value = document.createElement("span");
        value.className = "pct";
        value.textContent = `${pct}%`;
        li.append(name, bar, value);
        return li;
      }),
    );
    // Each operating point says what its alert means in the terms it was chosen in: how many
    // of those lesions it catches (sensitivity) and how many others it leaves alone
    // (specificity), on the validation photos.
    $("alerts").replaceChildren(
      ...(classification.alerts ?? []).map((a) => {
        const li = document.createElement("li");
        li.dataset.alert = a.name;
        li.dataset.raised = String(a.raised);
        const lang = language() === "ja" ? "ja" : "en";
        const args = {
          name: lang === "ja" ? a.ja : a.en,
          p: Math.round(a.probability * 100),
          threshold: Math.round(a.threshold * 100),
          sensitivity: Math.round(a.sensitivity * 100),
          specificity: Math.round(a.specificity * 100),
        };
        li.textContent = t(a.raised ? "alert_raised" : "alert_clear", args);
        if (a.raised) li.classList.add("warn");
        return li;
      }),
    );
    $("heat-toggle-label").hidden = !classification.heat_map?.values?.length;
  }

  /** Paints the heat map (values 0–255 over `crop`) onto the overlay canvas. */
  function paintHeat(heat, width, height) {
    const canvas = $("heat");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    if (!heat?.values?.length) return;
    const cells = new OffscreenCanvas(heat.width, heat.height);
    const cctx = cells.getContext("2d");
    const data = cctx.createImageData(heat.width, heat.height);
    heat.values.forEach((v, i) => {
      // Transparent blue (no evidence) → opaque red (strongest).
      data.data[i * 4] = v;
      data.data[i * 4 + 1] = Math.max(0, 128 - Math.abs(v - 128));
      data.data[i * 4 + 2] = 255 - v;
      data.data[i * 4 + 3] = Math.round((v / 255) ** 2 * 180); // weak evidence stays see-through
    });
    cctx.putImageData(data, 0, 0);
    ctx.imageSmoothingEnabled = true;
    const region = heat.region ?? { x: 0, y: 0, width, height };
    ctx.drawImage(cells, region.x, region.y, region.width, region.height);
  }

  /** The review flags whose regions the clean copy outlines (their sentences say so); the
   * face-part probe's region is the whole photo, which an outline would not point at. */
  const OUTLINED_FLAGS = new Set(["text", "tattoo", "fingerprint"]);

  /** What the clean copy outlines: the faces and the regions of those flags. */
  function outlined(report) {
    const flagged = (report.review ?? []).filter((flag) => OUTLINED_FLAGS.has(flag.kind)).flatMap((flag) => flag.regions ?? []);
    return [...(report.faces ?? []).map(faceBox), ...flagged];
  }

  async function draw(canvas, blob, boxes = []) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob);
    } catch {
      canvas.hidden = true;
      return null;
    }
    canvas.hidden = false;
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    ctx.lineWidth = Math.max(2, Math.round(canvas.width / 300));
    ctx.strokeStyle = "#f2b705";
    for (const box of boxes) ctx.strokeRect(...box);
    return [canvas.width, canvas.height];
  }

  async function handle(file) {
    if (!file) return;
    $("error").hidden = true;
    $("result").hidden = true;
    $("heat-toggle").checked = false;
    $("heat").hidden = true;
    last = null;
    // A photo dropped while hifu is still loading waits for the face detector: scrubbing
    // before it is built would refuse the photo (fail closed) although the weights are there.
    if (!loaded) {
      setState("working", "waiting", { name: file.name });
      try {
        await started;
      } catch (error) {
        setState("error", "start_failed", { message: error.message });
        return;
      }
    }
    setState("working", "working", { name: file.name });
    // Let the status paint before the scrub (synchronous here, but for the helpers' share of
    // the face detection) takes the main thread.
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

    // This page's copy of the original: kept in memory (never sent) until the classifier has
    // seen it, then wiped.
    const bytes = new Uint8Array(await file.arrayBuffer());
    let result;
    try {
      result = await hifu.scrubShared(bytes, { format: "auto" });
    } catch (error) {
      bytes.fill(0);
      showError(error);
      return;
    }
    if (result.report.status === "excluded") {
      bytes.fill(0);
      const reason = result.report.gate?.reason?.replaceAll("_", " ") ?? "not safe to share";
      setState("excluded", "excluded", { name: file.name, reason });
      return;
    }
    last = { file, result, classification: null, classError: null };
    renderReport(file, result);
    renderDiagnosis(null, null);
    $("result").hidden = false;
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    const clean = new Blob([result.image], { type: result.mime });
    downloadUrl = URL.createObjectURL(clean);
    const stem = file.name.replace(/\.[^.]*$/, "") || "photo";
    $("download").href = downloadUrl;
    $("download").download = `${stem}-clean.${result.extension}`;
    const beforeShown = await draw($("before"), file);
    $("before-unavailable").hidden = Boolean(beforeShown);
    const size = await draw($("after"), clean, outlined(result.report));

    setState("working", "classifying");
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    try {
      // The model sees the upright original, decoded in memory: a redacted eye band or face
      // box would otherwise be part of what it judges. Its heat map is in the same upright
      // pixels as the clean copy it is drawn over.
      last.classification = await hifu.classify(bytes);
      if (size) paintHeat(last.classification.heat_map, ...size);
    } catch (error) {
      last.classError = error;
    } finally {
      bytes.fill(0);
    }
    renderDiagnosis(last.classification, last.classError);
    setState("done", "done", { name: file.name });
  }

  function wire() {
    const drop = $("drop");
    $("file").addEventListener("change", (event) => handle(event.target.files[0]));
    $("camera").addEventListener("change", (event) => handle(event.target.files[0]));
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
    // Paste anywhere on the page (a screenshot, a copied image).
    (root.host ? root.host.ownerDocument : root.ownerDocument ?? document).addEventListener("paste", (event) => {
      const item = [...(event.clipboardData?.items ?? [])].find((i) => i.type.startsWith("image/"));
      const file = item?.getAsFile();
      if (file) {
        event.preventDefault();
        handle(new File([file], file.name || "pasted-image", { type: file.type }));
      }
    });
    $("heat-toggle").addEventListener("change", (event) => {
      $("heat").hidden = !event.target.checked;
    });
    root.querySelector(".lang-select").addEventListener("change", (event) => {
      setLanguage(event.target.value);
      render();
      host.dispatchEvent(new CustomEvent("hifu-language", { detail: language(), bubbles: true }));
    });
  }

  render();
  setState("loading", "loading");
  // Started before the inputs are wired, so that a photo dropped at once can wait for it.
  let loaded = false;
  // Every identifying-mark check the contributor page runs: burned-in text is filled like a
  // face, a tattoo or ridges are named. The tattoo check reuses the classifier's weights and
  // the fingerprint check has none, so only the text detector adds to the first load.
  // Helper workers take part of the face detector's passes over each photo (one per core
  // beyond this page's own thread; the page works without them).
  const helpers = Math.max(1, Math.min(3, (navigator.hardwareConcurrency || 2) - 1));
  const started = hifu.init({ textCheck: true, tattooCheck: true, fingerprintCheck: true, helpers }).then(() => {
    loaded = true;
  });
  wire();
  return started
    .then(() => {
      categoryLabels = new Map(hifu.categories().map(({ name, label }) => [name, label]));
      // Say at once that photos will be refused, rather than on the first photo (unless a
      // photo that waited for this is already being cleaned).
      if (host.dataset.state === "loading") {
        setState("ready", hifu.hasFaceDetector() ? "ready" : "ready_no_faces");
      }
      // Warm the classifier in the background; a missing model only shows once a photo is in.
      hifu.loadClassifier().catch(() => {});
    })
    .catch((error) => setState("error", "start_failed", { message: error.message }));
}
