// The hub dashboard: reads /api/status from `hifu hub serve` (the same PC) and draws progress
// per site and per diagnosis, age band, sex and capture year. Bars are sized through CSSOM
// (element.style), which the strict CSP allows; there is no inline style or script.
import { applyStrings, language, setLanguage, t } from "./i18n.js";

let last = null;

function percent(n, of) {
  return of > 0 ? `${((100 * n) / of).toFixed(1)} %` : "–";
}

function number(n) {
  return new Intl.NumberFormat(language() === "ja" ? "ja-JP" : "en-GB").format(n);
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function bar(container, fraction) {
  const outer = document.createElement("div");
  outer.className = "bar";
  const inner = document.createElement("span");
  inner.style.width = `${Math.min(100, Math.max(0, fraction * 100)).toFixed(1)}%`;
  outer.append(inner);
  container.append(outer);
}

function label(key, value) {
  if (value === "(not given)") return t("h_not_given");
  if (key === "sex") return t(`sex_${value}`);
  return value;
}

function drawBars(id, counts) {
  const list = document.getElementById(id);
  list.replaceChildren();
  const entries = Object.entries(counts).sort((a, b) => (id === "final_diagnosis" ? b[1] - a[1] : a[0].localeCompare(b[0])));
  const max = Math.max(1, ...entries.map(([, n]) => n));
  for (const [key, n] of entries) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "bars-label";
    name.textContent = label(id, key);
    const count = document.createElement("span");
    count.className = "bars-count";
    count.textContent = number(n);
    li.append(name);
    bar(li, n / max);
    li.append(count);
    list.append(li);
  }
}

function draw(status) {
  const total = document.getElementById("total");
  total.textContent = t("h_total_of", {
    n: number(status.total_photos),
    target: number(status.target_total),
    percent: percent(status.total_photos, status.target_total),
  });
  document.getElementById("total-bar").style.width = `${Math.min(100, (100 * status.total_photos) / Math.max(1, status.target_total))}%`;
  document.getElementById("empty").hidden = status.total_photos > 0;
  const sites = document.querySelector("#sites tbody");
  sites.replaceChildren();
  for (const site of status.sites) {
    const row = sites.insertRow();
    cell(row, site.site);
    cell(row, number(site.photos), "num");
    cell(row, number(status.target_per_site), "num");
    bar(cell(row, ""), site.photos / Math.max(1, status.target_per_site));
    cell(row, number(site.batches), "num");
  }
  for (const id of ["final_diagnosis", "age_band", "sex", "capture_year"]) drawBars(id, status[id]);
  const batches = document.querySelector("#batches tbody");
  batches.replaceChildren();
  for (const b of status.batches) {
    const row = batches.insertRow();
    cell(row, `#${b.id}`);
    cell(row, b.site);
    cell(row, b.label ?? "–");
    cell(row, b.received_at.replace("T", " ").replace("Z", " UTC"));
    cell(row, number(b.photos_sent), "num");
    cell(row, b.erased_at ? t("h_erased", { at: b.erased_at.slice(0, 10) }) : number(b.photos_held), "num");
  }
  document.getElementById("withdrawn").textContent = t("h_withdrawn", { n: number(status.withdrawn_patients) });
  document.getElementById("near").textContent = t("h_near", { n: number(status.near_duplicates_to_decide) });
  document.getElementById("updated").textContent = t("h_updated", { at: new Date().toLocaleString(language() === "ja" ? "ja-JP" : "en-GB") });
}

async function refresh() {
  const error = document.getElementById("error");
  try {
    const response = await fetch("/api/status", { cache: "no-store" });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ?? response.statusText);
    last = body;
    error.hidden = true;
    draw(body);
    document.body.dataset.state = "ready";
  } catch (e) {
    error.textContent = t("h_error", { message: e.message });
    error.hidden = false;
    document.body.dataset.state = "error";
  }
}

applyStrings(document, document.documentElement);
const select = document.querySelector(".lang-select");
select.value = language();
select.addEventListener("change", () => {
  setLanguage(select.value);
  applyStrings(document, document.documentElement);
  document.title = t("h_title");
  if (last) draw(last);
});
document.title = t("h_title");
refresh();
setInterval(refresh, 30_000);
