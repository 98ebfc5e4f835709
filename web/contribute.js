// Contributor mode: a site turns a folder of photos + its records into one sealed bundle for
// the hub. Plan (records → de-identified links, opt-outs set aside) → process each linked
// photo in a pool of workers → review the flagged ones → seal and download. Every step is
// saved in IndexedDB (contribute-store.js) so a reload resumes where it stopped.
import * as hifu from "./hifu.js";
import { applyStrings, diagnosisName, language, setLanguage, t } from "./i18n.js";
import { clearAll, loadBatch, loadItems, saveBatch, saveItem } from "./contribute-store.js";
import { hubUploadUrl, openBundleSink, uploadBundle } from "./contribute-export.js";

const $ = (id) => document.getElementById(id);
const CHECKS = ["tattoo", "fingerprint", "label"];
const CHECK_KEYS = { tattoo: "c_check_tattoo", fingerprint: "c_check_fingerprint", label: "c_check_label" };

let batch = null; // { hubKey, siteCode, batchLabel, links: {photo: record}, unmatched, optOut, files }
const items = new Map(); // name → item
let statusKey = ["loading", {}];
let sessionStart = 0;
let sessionDone = 0;
let resumedDone = null; // photos already processed when this page resumed a stored batch

function setStatus(state, key, vars = {}) {
  document.body.dataset.state = state;
  statusKey = [key, vars];
  $("status").textContent = t(key, vars);
}

/** The site configuration file: free-form `key = value` lines plus the two key blocks. */
export function parseSiteConfig(text) {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const block = (header) => {
    const at = lines.indexOf(header);
    const body = at < 0 ? undefined : lines.slice(at + 1).find((l) => l);
    return body ? `${header}\n${body}\n` : null;
  };
  const value = (name) => {
    const line = lines.find((l) => new RegExp(`^${name}\\s*[=:]`, "i").test(l));
    return line ? line.replace(/^[^=:]*[=:]\s*/, "") : undefined;
  };
  const siteKey = block("hifu-site-key-v1");
  const hubKey = block("hifu-hub-public-key-v1");
  if (!siteKey) throw new Error("no hifu-site-key-v1 block (paste the text of `hifu site keygen`)");
  if (!hubKey) throw new Error("no hifu-hub-public-key-v1 block (paste the hub's hub.pub)");
  if (lines.includes("hifu-hub-private-key-v1")) throw new Error("it contains the hub's PRIVATE key: remove it, it must never be at a site");
  return {
    siteKey,
    hubKey,
    siteCode: value("site_code") ?? value("site") ?? "unspecified",
    batchLabel: value("batch"),
    hubUrl: value("hub_url"),
    // Review flags whose photos the site excludes outright (`exclude_flagged = tattoo, text`):
    // the de-identification policy's field, recorded in the manifest like the rest of it.
    policy: { exclude_flagged: (value("exclude_flagged") ?? "").split(/[,\s]+/).filter(Boolean) },
  };
}

// ---- Flags and decisions ----

/** The review flag for which the site's policy excludes this photo outright, if any. */
function excludedByPolicy(item) {
  const kinds = batch?.policy?.exclude_flagged ?? [];
  return item.status === "ok" ? (item.report?.review ?? []).map((r) => r.kind).find((k) => kinds.includes(k)) : undefined;
}

function flagsOf(item) {
  const ok = item.status === "ok" && !excludedByPolicy(item);
  const decision = item.classification?.decision;
  return {
    faces: ok && (item.report?.faces ?? []).some((f) => (f.redacted ?? "box") === "box"),
    partial_face: ok && (item.report?.review ?? []).some((r) => r.kind === "partial_face"),
    face_part: ok && (item.report?.review ?? []).some((r) => r.kind === "face_part"),
    text: ok && (item.report?.review ?? []).some((r) => r.kind === "text"),
    tattoo: ok && (item.report?.review ?? []).some((r) => r.kind === "tattoo"),
    fingerprint: ok && (item.report?.review ?? []).some((r) => r.kind === "fingerprint"),
    full_face: item.status === "excluded",
    unmatched: item.status === "unmatched" || item.status === "conflict",
    abstained: ok && (decision === "not_sure" || decision === "not_skin"),
    errors: item.status === "error",
  };
}

/** Photos that were never opened: no record, or claimed by several records. */
const processed = (item) => item.status !== "unmatched" && item.status !== "conflict";
const needsReview = (item) => {
  const f = flagsOf(item);
  return f.faces || f.partial_face || f.face_part || f.text || f.tattoo || f.fingerprint || f.abstained;
};
const undecided = (item) => needsReview(item) && !item.decision;
const included = (item) => item.status === "ok" && !excludedByPolicy(item) && (needsReview(item) ? item.decision === "confirm" : item.decision !== "exclude");

function matches(item, filter) {
  if (filter === "all") return true;
  if (filter === "flagged") return undecided(item);
  return flagsOf(item)[filter];
}

// ---- Rendering ----

function counts() {
  const all = [...items.values()];
  const processable = batch ? Object.keys(batch.links).length : 0;
  const done = all.filter(processed).length;
  return {
    total: processable,
    done,
    flagged: all.filter(undecided).length,
    errors: all.filter((i) => i.status === "error").length,
  };
}

function renderProgress() {
  if (!batch) return;
  const c = counts();
  $("progress-panel").hidden = false;
  $("progress").max = Math.max(1, c.total);
  $("progress").value = c.done;
  $("counts").textContent = t("c_counts", c);
  const remaining = c.total - c.done;
  if (remaining > 0 && sessionDone > 0) {
    const seconds = Math.round(((performance.now() - sessionStart) / 1000 / sessionDone) * remaining);
    $("eta").textContent = t("c_eta", { eta: seconds >= 90 ? `${Math.round(seconds / 60)} min` : `${seconds} s` });
  } else {
    $("eta").textContent = "";
  }
  $("resumed").hidden = resumedDone === null;
  if (resumedDone !== null) $("resumed").textContent = t("c_resumed", { done: resumedDone });
  const conflicts = batch.conflicts?.length ?? 0;
  $("plan").textContent =
    t("c_plan", { linked: c.total, unmatched: batch.unmatched.length, optout: batch.optOut }) +
    (conflicts ? ` · ${t("c_plan_conflicts", { n: conflicts })}` : "");
  const open = c.flagged;
  $("undecided").textContent = open ? t("c_undecided", { n: open }) : "";
  $("export").disabled = open > 0 || c.done < c.total || ![...items.values()].some(included);
}

async function drawThumb(canvas, blob, report) {
  try {
    const bitmap = await createImageBitmap(blob);
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    outlineRegions(ctx, canvas.width, canvas.height, report);
  } catch {
    canvas.hidden = true;
  }
}

/**
 * Outlines what each review flag points at (filled text lines, barred eyes, where a tattoo or
 * fingerprint ridges were seen) on the thumbnail, so the reviewer knows where to look. A region that is the whole photo
 * (a possible face part) is not drawn: the tag says it.
 */
function outlineRegions(ctx, width, height, report) {
  if (!report?.width || !report?.height) return;
  const sx = width / report.width;
  const sy = height / report.height;
  ctx.strokeStyle = "#d6246e";
  ctx.lineWidth = Math.max(2, Math.round(width / 120));
  for (const flag of report.review ?? []) {
    for (const [x, y, w, h] of flag.regions ?? []) {
      if (w * h >= 0.9 * report.width * report.height) continue;
      ctx.strokeRect(x * sx, y * sy, Math.max(1, w * sx), Math.max(1, h * sy));
    }
  }
}

function tagList(item) {
  const f = flagsOf(item);
  const tags = [];
  if (f.faces) tags.push(t("f_faces"));
  if (f.partial_face) tags.push(t("f_partial_face"));
  if (f.face_part) tags.push(t("f_face_part"));
  if (f.text) tags.push(t("f_text"));
  if (f.tattoo) tags.push(t("f_tattoo"));
  if (f.fingerprint) tags.push(t("f_fingerprint"));
  if (f.full_face) tags.push(t("f_full_face"));
  const policyKind = excludedByPolicy(item);
  if (policyKind) tags.push(t("c_excluded_by_policy", { kind: t(`kind_${policyKind}`) }));
  if (item.status === "unmatched") tags.push(t("f_unmatched"));
  if (item.status === "conflict") tags.push(t("f_conflict", { rows: (item.rows ?? []).join(", ") }));
  if (f.abstained) tags.push(t("f_abstained"));
  if (f.errors) tags.push(`${t("f_errors")}: ${item.error?.message ?? ""}`);
  if (item.decision === "confirm") tags.push(t("c_confirmed"));
  if (item.decision === "exclude") tags.push(t("c_excluded_by_reviewer"));
  return tags;
}

function card(item) {
  const li = document.createElement("li");
  li.className = "card";
  li.dataset.name = item.name;
  li.dataset.status = item.status;
  if (item.decision) li.dataset.decision = item.decision;
  const canvas = document.createElement("canvas");
  canvas.setAttribute("aria-hidden", "true");
  if (item.thumb) drawThumb(canvas, item.thumb, item.report);
  else canvas.hidden = true;
  const title = document.createElement("p");
  title.className = "name";
  title.textContent = item.name;
  const tags = document.createElement("p");
  tags.className = "tags";
  tags.textContent = tagList(item).join(" · ");
  li.append(canvas, title, tags);
  if (item.classification?.top) {
    const verdict = document.createElement("p");
    verdict.className = "muted";
    verdict.textContent = `${diagnosisName(item.classification.top)} ${Math.round(item.classification.top.probability * 100)}%`;
    li.append(verdict);
  }
  // Every clean photo can be excluded; flagged ones must be decided before sealing.
  if (item.status === "ok" && !excludedByPolicy(item)) li.append(reviewControls(item));
  return li;
}

function reviewControls(item) {
  const box = document.createElement("fieldset");
  box.className = "checks";
  const legend = document.createElement("legend");
  legend.textContent = item.name;
  legend.className = "visually-hidden";
  box.append(legend);
  item.checks ??= {};
  const confirm = document.createElement("button");
  confirm.type = "button";
  confirm.className = "confirm";
  confirm.textContent = t("c_confirm");
  const refresh = () => {
    confirm.disabled = !CHECKS.every((c) => item.checks[c]);
  };
  for (const check of CHECKS) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.name = check;
    input.checked = Boolean(item.checks[check]);
    input.addEventListener("change", async () => {
      item.checks[check] = input.checked;
      refresh();
      await saveItem(item);
    });
    label.append(input, ` ${t(CHECK_KEYS[check])}`);
    box.append(label);
  }
  const exclude = document.createElement("button");
  exclude.type = "button";
  exclude.className = "exclude";
  exclude.textContent = t("c_exclude");
  const decide = async (decision) => {
    item.decision = decision;
    await saveItem(item);
    renderGrid();
    renderProgress();
  };
  confirm.addEventListener("click", () => decide("confirm"));
  exclude.addEventListener("click", () => decide("exclude"));
  refresh();
  const buttons = document.createElement("div");
  buttons.className = "decide";
  buttons.append(confirm, exclude);
  box.append(buttons);
  return box;
}

function renderGrid() {
  clearTimeout(gridTimer);
  gridTimer = null;
  if (!batch) return;
  $("review").hidden = false;
  const filter = $("filter").value;
  const shown = [...items.values()].filter((i) => matches(i, filter)).sort((a, b) => a.name.localeCompare(b.name));
  $("grid").replaceChildren(...shown.map(card));
}

let gridTimer = null;
/** Re-renders the grid at most twice a second while photos stream in. */
function scheduleGrid() {
  if (gridTimer) return;
  gridTimer = setTimeout(() => {
    gridTimer = null;
    renderGrid();
  }, 500);
}

function renderAll() {
  applyStrings(document, document.documentElement);
  document.querySelector(".lang-select").value = language();
  $("status").textContent = t(...statusKey);
  renderProgress();
  renderGrid();
}

// ---- Processing ----

async function readText(input) {
  const file = input.files[0];
  return file ? file.text() : null;
}

// A records or opt-out file is read up to one byte past the core's limit, so that the core
// refuses a huge file (record.too_large) without the page loading it whole.
async function readBytes(input) {
  const file = input.files[0];
  return file ? new Uint8Array(await file.slice(0, hifu.maxRecordsFileBytes() + 1).arrayBuffer()) : null;
}

async function planBatch() {
  const configText = await readText($("config"));
  const records = await readBytes($("records"));
  const photos = [...$("folder").files, ...$("photos").files].filter((f) => /\.(jpe?g|png|webp|tiff?|hei[cf])$/i.test(f.name));
  if (!configText || !records || photos.length === 0) {
    setStatus("ready", "c_missing_inputs");
    return;
  }
  let config;
  try {
    config = parseSiteConfig(configText);
    new hifu.Sealer(config.hubKey).free(); // validates the hub key now, not at the end
    const hub = hubUploadUrl(config.hubUrl);
    if (hub instanceof Error) throw hub;
  } catch (error) {
    setStatus("error", "c_config_bad", { message: error.message });
    return;
  }
  const optOut = await readBytes($("optout"));
  let plan;
  try {
    plan = hifu.deidentify(records, config.siteKey, photos.map((f) => f.name), { policy: config.policy, ...(optOut ? { optOut } : {}) });
  } catch (error) {
    setStatus("error", "c_config_bad", { message: error.message });
    return;
  }
  const links = Object.fromEntries(plan.links.map((l) => [l.photo, l.record]));
  const byName = new Map(photos.map((f) => [f.name, f]));
  await clearAll();
  items.clear();
  batch = {
    hubKey: config.hubKey,
    siteCode: config.siteCode,
    batchLabel: config.batchLabel,
    hubUrl: config.hubUrl,
    policy: config.policy,
    links,
    unmatched: plan.unmatched_photos,
    // Claimed by two or more rows: never contributed (which record is right is for the site
    // to say), but shown so the records file gets fixed rather than the photo silently lost.
    conflicts: plan.conflicts,
    optOut: plan.photos_excluded_opt_out,
    // Only photos with a record are ever opened; the rest are not even kept.
    files: Object.keys(links).map((name) => byName.get(name)).filter(Boolean),
  };
  await saveBatch(batch);
  const neverOpened = [
    ...plan.unmatched_photos.map((name) => ({ name, status: "unmatched" })),
    ...plan.conflicts.map(([name, rows]) => ({ name, status: "conflict", rows })),
  ];
  for (const item of neverOpened) {
    items.set(item.name, item);
    await saveItem(item);
  }
  await processPending();
}

async function processPending() {
  const pending = batch.files.filter((f) => !items.has(f.name));
  renderAll();
  if (pending.length === 0) {
    setStatus("done", "c_done");
    return;
  }
  setStatus("working", "c_progress");
  sessionStart = performance.now();
  sessionDone = 0;
  const size = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4, pending.length));
  const queue = [...pending];
  const workers = Array.from({ length: size }, () => new Worker(new URL("./contribute-worker.js", import.meta.url), { type: "module" }));
  await Promise.all(
    workers.map(async (worker) => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        const result = await new Promise((resolve) => {
          worker.onmessage = ({ data }) => resolve(data.result);
          worker.onerror = (event) => resolve({ status: "error", error: { code: "page.worker", message: event.message } });
          worker.postMessage({ id: file.name, file });
        });
        // processedAt: when this photo was done, so a resumed batch can show it was not redone.
        const item = { name: file.name, ...result, decision: null, checks: {}, processedAt: Date.now() };
        items.set(file.name, item);
        await saveItem(item);
        sessionDone += 1;
        renderProgress();
        scheduleGrid();
      }
      worker.terminate();
    }),
  );
  renderAll();
  setStatus(counts().done < counts().total ? "paused" : "done", "c_done");
}

// ---- Export ----

let sealedBundle = null; // { file: File|Blob, name } once sealed, for the optional upload

async function exportBundle() {
  const file = `${batch.siteCode}-${new Date().toISOString().slice(0, 10)}.hifu`;
  const sink = await openBundleSink(file); // first: the save dialog needs the click's gesture
  if (!sink) return;
  const chosen = [...items.values()].filter(included).sort((a, b) => a.name.localeCompare(b.name));
  const sealer = new hifu.Sealer(batch.hubKey, { siteCode: batch.siteCode, batch: batch.batchLabel, policy: batch.policy });
  try {
    await sink.write(sealer.takeOutput());
    for (const [index, item] of chosen.entries()) {
      const image = new Uint8Array(await item.image.arrayBuffer());
      await sink.write(sealer.addItem(image, item.mime, batch.links[item.name], item.report));
      image.fill(0);
      $("sealed").textContent = t("c_sealing", { done: index + 1, n: chosen.length });
    }
    await sink.write(sealer.finish());
  } catch (error) {
    await sink.abort();
    throw error;
  } finally {
    sealer.free();
  }
  sealedBundle = { file: await sink.close(), name: file };
  $("sealed").textContent = t(sink.streamed ? "c_sealed_to_disk" : "c_sealed", { n: chosen.length, file });
  $("upload").hidden = !batch.hubUrl;
  document.body.dataset.state = "sealed";
}

async function uploadSealed() {
  const url = hubUploadUrl(batch.hubUrl);
  if (!sealedBundle || !url || url instanceof Error) return;
  $("upload").disabled = true;
  $("uploaded").textContent = t("c_uploading");
  try {
    await uploadBundle(url, sealedBundle.file, sealedBundle.name);
    $("uploaded").textContent = t("c_uploaded", { url: url.pathname });
    document.body.dataset.state = "uploaded";
  } catch (error) {
    $("uploaded").textContent = t("c_upload_failed", { message: error.message });
    $("upload").disabled = false;
  }
}

// ---- Start ----

async function resume() {
  batch = (await loadBatch()) ?? null;
  if (!batch) return false;
  for (const item of await loadItems()) items.set(item.name, item);
  resumedDone = [...items.values()].filter(processed).length;
  await processPending();
  return true;
}

function wire() {
  $("start").addEventListener("click", () => planBatch().catch((e) => setStatus("error", "c_config_bad", { message: e.message })));
  $("filter").addEventListener("change", renderGrid);
  $("export").addEventListener("click", () => exportBundle().catch((e) => setStatus("error", "c_config_bad", { message: e.message })));
  $("upload").addEventListener("click", uploadSealed);
  $("reset").addEventListener("click", async () => {
    await clearAll();
    batch = null;
    resumedDone = null;
    items.clear();
    $("review").hidden = true;
    $("progress-panel").hidden = true;
    setStatus("ready", "c_ready");
  });
  document.querySelector(".lang-select").addEventListener("change", (event) => {
    setLanguage(event.target.value);
    renderAll();
  });
}

renderAll();
setStatus("loading", "loading");
hifu
  .init()
  .then(async () => {
    wire();
    if (!(await resume())) setStatus("ready", "c_ready");
  })
  .catch((error) => setStatus("error", "start_failed", { message: error.message }));
