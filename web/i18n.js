// Every string the pages show, in English and Japanese. Elements carry `data-i18n="key"`
// (text) or `data-i18n-attr="attr:key"`; `applyStrings(root)` fills them. Diagnosis names do
// not live here: they come from the model's labels.json (`en` / `ja`).

export const LANGUAGES = ["en", "ja"];

const STRINGS = {
  en: {
    title: "hifu — clinical photo assistant",
    tagline:
      "Removes every piece of metadata from a skin photo, blacks out faces, and suggests a differential diagnosis.",
    private: "Nothing leaves this browser: the photo is never uploaded.",
    c_private: "No photo leaves this browser unencrypted: only the sealed bundle does, saved to disk (or uploaded when you press Upload).",
    language: "Language",
    drop_title: "Drop, paste or choose a photo",
    drop_hint: "JPEG, PNG, WebP or TIFF — or paste with Ctrl+V",
    take_photo: "Take a photo",
    loading: "Loading hifu…",
    ready: "Ready: drop, paste, choose or take a photo.",
    ready_no_faces:
      "Face detection cannot start: the face models (models/face/yunet_n.safetensors, centerface.safetensors) are missing, so every photo will be refused. Ask IT to install them.",
    working: "Cleaning {name}…",
    waiting: "{name} is waiting for the face detector to finish loading…",
    classifying: "Analysing the lesion…",
    done: "Done: {name}.",
    failed: "Failed: see the message below.",
    start_failed: "hifu could not start in this browser: {message}",
    excluded: "{name} was withheld: {reason}. It shows a whole face, so no copy is made.",
    error_title: "This photo could not be cleaned",
    error_code: "Error code:",
    before: "Before: the original as your browser shows it",
    after: "After: the clean copy",
    before_unavailable: "This browser cannot display the original format.",
    original_photo: "The original photo",
    clean_photo: "The cleaned photo, faces blacked out",
    removed: "Removed metadata",
    nothing_removed: "The photo carried no metadata.",
    done_to_photo: "Done to the photo",
    orientation: "Orientation",
    output: "Output",
    faces: "Faces and marks",
    faces_none: "No face found",
    alert_raised: "{name}: {p}% (threshold {threshold}%). At this threshold the model flagged {sensitivity}% of such lesions in validation and left {specificity}% of the others unflagged: a suggestion to look closer, not a diagnosis.",
    alert_clear: "{name}: not raised ({p}%, threshold {threshold}%, which caught {sensitivity}% of such lesions in validation).",
    faces_found: "{n} face(s) found and blacked out (outlined)",
    faces_partial: "Facial close-up: only the eyes were blacked out, to keep the lesion. Check that nothing else identifies the patient before sharing.",
    faces_partial_no_eyes: "Facial close-up without the eyes in the photo: nothing was blacked out, to keep the lesion. Check that nothing identifies the patient before sharing.",
    faces_part: "This photo may show part of a face that could not be located, so nothing was blacked out. Check the eyes and anything else that identifies the patient before sharing.",
    faces_text: "Burned-in text was found and filled with grey (outlined). Check that nothing legible is left and the lesion is intact.",
    faces_tattoo: "A tattoo may be visible (outlined): a distinctive tattoo can identify the patient. Crop it away before sharing.",
    faces_fingerprint: "Fingertip, palm or sole ridges are visible (outlined): a print can identify the patient. Crop it away before sharing.",
    download: "Download the clean copy",
    diagnosis: "Differential diagnosis",
    disclaimer: "Decision support only, not a diagnosis: the clinician decides.",
    heat_map: "Show where the model looked (heat map)",
    not_sure: "Not sure: no class is likely enough to suggest.",
    not_skin: "Not a skin photo: this does not look like a lesion photo the model knows.",
    confident: "Most likely: {name}",
    malignant: "malignant",
    model_missing:
      "The classifier is not installed on this server ({detail}). The photo was still cleaned; ask your administrator to add models/skin/.",
    model_failed: "The classifier could not analyse this photo: {message}",
    orientation_1: "Already upright: nothing to do",
    orientation_2: "Mirrored left–right to upright",
    orientation_3: "Rotated 180° to upright",
    orientation_4: "Mirrored top–bottom to upright",
    orientation_5: "Transposed to upright",
    orientation_6: "Rotated 90° clockwise to upright",
    orientation_7: "Transversed to upright",
    orientation_8: "Rotated 90° counter-clockwise to upright",
    lossless: "Lossless: only the container was rewritten; the image data is bit-identical",
    re_encoded: "Re-encoded as {format}",
    contribute_link: "Contributor mode (prepare a bundle)",
    clinician_link: "Clinician page",
    // Hub dashboard (hub.js).
    h_title: "hifu hub — progress of the national dataset",
    h_intro: "Read from the hub store on this PC. Nothing is sent anywhere; the page refreshes every 30 seconds.",
    h_total: "Photos held",
    h_total_of: "{n} of {target} photos ({percent})",
    h_sites: "Per site",
    h_site: "Site",
    h_photos: "Photos",
    h_target: "Target",
    h_batches: "Batches",
    h_diagnosis: "Per final diagnosis",
    h_age: "Per age band",
    h_sex: "Per sex",
    h_year: "Per capture year",
    h_batch_list: "Batches received",
    h_batch: "Batch",
    h_label: "Label",
    h_received: "Received",
    h_sent: "Sent",
    h_held: "Held",
    h_erased: "Erased {at}",
    h_withdrawn: "Withdrawn patients: {n}",
    h_near: "Near-duplicates to decide: {n} (hifu hub duplicates)",
    h_updated: "Updated {at}",
    h_error: "The store could not be read: {message}",
    h_empty: "No photos yet: ingest a bundle with hifu hub ingest.",
    h_not_given: "(not given)",
    sex_female: "female",
    sex_male: "male",
    sex_other: "other",
    sex_unknown: "unknown",
    // Contributor mode.
    c_title: "hifu — prepare a contribution bundle",
    c_intro:
      "Choose the site configuration, the records, the opt-out register and the folder of photos. Photos are cleaned in this browser; only the sealed bundle is saved.",
    c_config: "Site configuration file",
    c_records: "Records CSV",
    c_optout: "Opt-out CSV (optional)",
    c_folder: "Folder of photos",
    c_files: "…or choose photos",
    c_start: "Process the photos",
    c_progress: "Progress",
    c_counts: "{done} of {total} done · {flagged} need review · {errors} errors",
    c_eta: "About {eta} left",
    c_resumed: "Resumed: {done} photos were already processed.",
    c_review: "Review",
    c_filter: "Show",
    f_all: "All",
    f_flagged: "Needs a decision",
    f_faces: "Faces redacted",
    f_partial_face: "Facial close-up: check what identifies",
    f_face_part: "May show part of a face: check",
    f_text: "Text filled (grey boxes): check nothing legible is left and the lesion is intact",
    f_tattoo: "May show a tattoo: check it does not identify",
    f_fingerprint: "Fingertip, palm or sole ridges resolved (outlined): check no print detail is legible",
    f_full_face: "Excluded: full face",
    f_unmatched: "No matching record",
    f_not_linked: "No record, or more than one",
    f_conflict: "Claimed by records on rows {rows}: not contributed — fix the records file",
    f_abstained: "Classifier abstained",
    f_errors: "Errors",
    c_check_tattoo: "No distinctive tattoo",
    c_check_fingerprint: "No fingerprint detail",
    c_check_label: "No name label in the frame",
    c_confirm: "Confirm",
    c_exclude: "Exclude",
    c_confirmed: "Confirmed",
    c_excluded_by_reviewer: "Excluded by reviewer",
    c_excluded_by_policy: "Excluded by the site's policy: {kind}",
    kind_partial_face: "facial close-up",
    kind_face_part: "part of a face",
    kind_text: "burned-in text",
    kind_tattoo: "tattoo",
    kind_fingerprint: "fingerprint",
    c_undecided: "{n} flagged photos still need a decision before sealing.",
    c_export: "Seal and download the bundle",
    c_sealed: "Sealed {n} photos into {file}.",
    c_sealing: "Sealing… {done} of {n} photos",
    c_sealed_to_disk: "Sealed {n} photos into {file} (written straight to disk).",
    c_upload: "Upload the sealed bundle to the hub",
    c_uploading: "Uploading the sealed bundle…",
    c_uploaded: "Uploaded to {url}.",
    c_upload_failed: "Upload failed: {message}. The bundle on disk is complete; try again or hand it over on a medium.",
    c_reset: "Start over (forget this batch)",
    c_ready: "Ready: choose the inputs, then process the photos.",
    c_done: "All photos processed: decide the flagged ones, then seal.",
    c_config_bad: "The site configuration is not valid: {message}",
    c_missing_inputs: "Choose the site configuration, the records CSV and the photos first.",
    c_plan: "{linked} photos matched a record · {unmatched} unmatched · {optout} set aside (opt-out)",
    c_plan_conflicts: "{n} claimed by more than one record (not contributed)",
  },
  ja: {
    title: "hifu — 臨床写真アシスタント",
    tagline: "皮膚の写真からメタデータをすべて取り除き、顔を黒塗りし、鑑別診断の候補を示します。",
    private: "写真はこのブラウザーの外に一切送信されません。",
    c_private: "暗号化されていない写真はこのブラウザーから出ません。出るのは封印済みバンドルだけです（ディスクに保存、または「アップロード」を押したときのみ送信）。",
    language: "言語",
    drop_title: "写真をドロップ・貼り付け・選択",
    drop_hint: "JPEG、PNG、WebP、TIFF — Ctrl+V で貼り付けもできます",
    take_photo: "写真を撮る",
    loading: "hifu を読み込み中…",
    ready: "準備完了：写真をドロップ、貼り付け、選択、または撮影してください。",
    ready_no_faces:
      "顔検出を開始できません：顔モデル（models/face/yunet_n.safetensors・centerface.safetensors）がないため、すべての写真を処理できません。IT 担当者に設置を依頼してください。",
    working: "{name} を処理中…",
    waiting: "{name} は顔検出の読み込み完了を待っています…",
    classifying: "病変を解析中…",
    done: "完了：{name}",
    failed: "失敗しました。下のメッセージをご覧ください。",
    start_failed: "このブラウザーでは hifu を起動できませんでした：{message}",
    excluded: "{name} は保留されました：{reason}。顔全体が写っているため、コピーは作成しません。",
    error_title: "この写真は処理できませんでした",
    error_code: "エラーコード：",
    before: "処理前：ブラウザーでの元の表示",
    after: "処理後：クリーンなコピー",
    before_unavailable: "このブラウザーでは元の形式を表示できません。",
    original_photo: "元の写真",
    clean_photo: "処理後の写真（顔は黒塗り）",
    removed: "削除したメタデータ",
    nothing_removed: "この写真にはメタデータがありませんでした。",
    done_to_photo: "写真に行った処理",
    orientation: "向き",
    output: "出力",
    faces: "顔・識別情報",
    faces_none: "顔は見つかりませんでした",
    alert_raised: "{name}：{p}%（しきい値 {threshold}%）。このしきい値では、検証データで該当病変の {sensitivity}% を検出し、それ以外の {specificity}% を対象外としました。精査を勧める目安であり、診断ではありません。",
    alert_clear: "{name}：該当なし（{p}%、しきい値 {threshold}%。検証データで該当病変の {sensitivity}% を検出したしきい値）。",
    faces_found: "{n} 件の顔を検出し黒塗りしました（枠で表示）",
    faces_partial: "顔の接写：病変を残すため目の部分のみ黒塗りしました。共有する前に、ほかに患者を特定できるものがないか確認してください。",
    faces_partial_no_eyes: "目の写っていない顔の接写：病変を残すため黒塗りはしていません。共有する前に、患者を特定できるものがないか確認してください。",
    faces_part: "顔の一部が写っている可能性がありますが、位置を特定できなかったため黒塗りはしていません。共有する前に、目など患者を特定できるものがないか確認してください。",
    faces_text: "写り込んだ文字を検出し、灰色で塗りつぶしました（枠で表示）。読める文字が残っていないか、病変が隠れていないか確認してください。",
    faces_tattoo: "刺青が写っている可能性があります（枠で表示）。特徴的な刺青で患者を特定できるため、共有する前に切り取ってください。",
    faces_fingerprint: "指先・手のひら・足裏の隆線が写っています（枠で表示）。指紋・掌紋で患者を特定できるため、共有する前に切り取ってください。",
    download: "クリーンなコピーをダウンロード",
    diagnosis: "鑑別診断",
    disclaimer: "診断ではなく意思決定の支援です。判断するのは医師です。",
    heat_map: "モデルが注目した部位を表示（ヒートマップ）",
    not_sure: "判定保留：提示できるほど確からしい候補がありません。",
    not_skin: "皮膚の写真ではないようです：モデルが学習した病変写真と異なります。",
    confident: "最も可能性が高い：{name}",
    malignant: "悪性",
    model_missing:
      "このサーバーには分類モデルがありません（{detail}）。写真の処理は完了しています。管理者に models/skin/ の追加を依頼してください。",
    model_failed: "分類モデルはこの写真を解析できませんでした：{message}",
    orientation_1: "正しい向きのため変更なし",
    orientation_2: "左右反転して正しい向きに",
    orientation_3: "180° 回転して正しい向きに",
    orientation_4: "上下反転して正しい向きに",
    orientation_5: "転置して正しい向きに",
    orientation_6: "時計回りに 90° 回転して正しい向きに",
    orientation_7: "逆転置して正しい向きに",
    orientation_8: "反時計回りに 90° 回転して正しい向きに",
    lossless: "無劣化：コンテナのみ書き換え、画像データはビット単位で同一",
    re_encoded: "{format} として再エンコード",
    contribute_link: "提供モード（バンドルの作成）",
    clinician_link: "臨床ページ",
    h_title: "hifu ハブ — 全国データセットの進捗",
    h_intro: "この PC のハブストアから読み取っています。どこにも送信されません。30 秒ごとに更新します。",
    h_total: "保有写真数",
    h_total_of: "{target} 枚中 {n} 枚（{percent}）",
    h_sites: "施設別",
    h_site: "施設",
    h_photos: "写真",
    h_target: "目標",
    h_batches: "バッチ",
    h_diagnosis: "最終診断名別",
    h_age: "年齢帯別",
    h_sex: "性別",
    h_year: "撮影年別",
    h_batch_list: "受領したバッチ",
    h_batch: "バッチ",
    h_label: "ラベル",
    h_received: "受領日時",
    h_sent: "送付",
    h_held: "保有",
    h_erased: "{at} に消去",
    h_withdrawn: "同意撤回された患者：{n} 名",
    h_near: "判断待ちの類似重複：{n} 件（hifu hub duplicates）",
    h_updated: "{at} 更新",
    h_error: "ストアを読み取れませんでした：{message}",
    h_empty: "写真はまだありません。hifu hub ingest でバンドルを取り込んでください。",
    h_not_given: "（記載なし）",
    sex_female: "女性",
    sex_male: "男性",
    sex_other: "その他",
    sex_unknown: "不明",
    c_title: "hifu — 提供バンドルの作成",
    c_intro:
      "施設設定、診療記録、オプトアウト台帳、写真フォルダーを選んでください。写真はこのブラウザー内で処理され、保存されるのは封印済みバンドルだけです。",
    c_config: "施設設定ファイル",
    c_records: "診療記録 CSV",
    c_optout: "オプトアウト CSV（任意）",
    c_folder: "写真フォルダー",
    c_files: "…または写真を選択",
    c_start: "写真を処理する",
    c_progress: "進捗",
    c_counts: "{total} 件中 {done} 件完了 · 要確認 {flagged} 件 · エラー {errors} 件",
    c_eta: "残り約 {eta}",
    c_resumed: "再開しました：{done} 件は処理済みです。",
    c_review: "確認",
    c_filter: "表示",
    f_all: "すべて",
    f_flagged: "判断が必要",
    f_faces: "顔を黒塗り",
    f_partial_face: "顔の接写：特定できるものを確認",
    f_face_part: "顔の一部が写っている可能性：確認",
    f_text: "文字を塗りつぶしました（灰色の枠）：読める文字が残っていないか、病変が隠れていないか確認",
    f_tattoo: "刺青が写っている可能性：個人を特定できないか確認",
    f_fingerprint: "指先・手のひら・足裏の隆線が写っています（枠）：指紋の細部が読み取れないか確認",
    f_full_face: "除外：顔全体",
    f_unmatched: "対応する記録なし",
    f_not_linked: "記録なし・複数の記録",
    f_conflict: "記録の {rows} 行目が同じ写真を指しています：提供しません（記録ファイルを修正してください）",
    f_abstained: "分類保留",
    f_errors: "エラー",
    c_check_tattoo: "特徴的な入れ墨がない",
    c_check_fingerprint: "指紋の細部が写っていない",
    c_check_label: "氏名ラベルが写っていない",
    c_confirm: "承認",
    c_exclude: "除外",
    c_confirmed: "承認済み",
    c_excluded_by_reviewer: "確認者が除外",
    c_excluded_by_policy: "施設の方針により除外：{kind}",
    kind_partial_face: "顔の接写",
    kind_face_part: "顔の一部",
    kind_text: "写り込んだ文字",
    kind_tattoo: "刺青",
    kind_fingerprint: "指紋",
    c_undecided: "封印する前に、要確認の写真 {n} 件の判断が必要です。",
    c_export: "封印してバンドルをダウンロード",
    c_sealed: "{n} 件の写真を {file} に封印しました。",
    c_sealing: "封印中… {n} 件中 {done} 件",
    c_sealed_to_disk: "{n} 件の写真を {file} に封印しました（ディスクへ直接書き込み）。",
    c_upload: "封印したバンドルをハブへアップロード",
    c_uploading: "封印したバンドルをアップロード中…",
    c_uploaded: "{url} にアップロードしました。",
    c_upload_failed: "アップロードに失敗しました：{message}。ディスク上のバンドルは完全です。再試行するか、媒体で引き渡してください。",
    c_reset: "最初からやり直す（このバッチを破棄）",
    c_ready: "準備完了：入力を選んで写真を処理してください。",
    c_done: "すべての写真を処理しました：要確認の写真を判断してから封印してください。",
    c_config_bad: "施設設定が正しくありません：{message}",
    c_missing_inputs: "先に施設設定、診療記録 CSV、写真を選んでください。",
    c_plan: "記録と対応 {linked} 件 · 対応なし {unmatched} 件 · オプトアウトで除外 {optout} 件",
    c_plan_conflicts: "複数の記録が指す写真 {n} 件（提供しません）",
  },
};

/** Metadata category names in Japanese (English labels come from the core). */
const CATEGORY_JA = {
  exif: "EXIF",
  exif_gps: "EXIF の GPS 位置情報",
  exif_serial_numbers: "カメラ・レンズのシリアル番号",
  exif_owner_name: "所有者・撮影者名",
  exif_date_time: "撮影日時",
  exif_description: "画像の説明",
  exif_maker_note: "メーカーノート",
  exif_thumbnail: "EXIF サムネイル",
  xmp: "XMP",
  xmp_extended: "拡張 XMP",
  iptc: "IPTC / Photoshop",
  icc_profile: "ICC カラープロファイル",
  comment: "コメント",
  mpf_images: "MPF の副画像",
  trailing_data: "画像末尾の追加データ（動画など）",
  png_text: "PNG テキスト",
  png_time: "PNG 更新日時",
  webp_exif: "WebP EXIF",
  webp_xmp: "WebP XMP",
  jfif_thumbnail: "JFIF サムネイル",
  other_app_segment: "その他のアプリケーションセグメント",
  tiff_metadata: "TIFF メタデータ",
};

let current = pickDefault();

/** The browser's preferred language when we have it, else English. */
function pickDefault() {
  const stored = globalThis.localStorage?.getItem("hifu.lang");
  if (LANGUAGES.includes(stored)) return stored;
  const preferred = globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? "en"];
  for (const tag of preferred) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

export function language() {
  return current;
}

export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  current = lang;
  try {
    globalThis.localStorage?.setItem("hifu.lang", lang);
  } catch {
    // Storage may be off (private mode): the choice then lasts for this page only.
  }
}

/** The string `key` in the current language with `{name}` placeholders filled. */
export function t(key, vars = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

/** A metadata category's label: the core's English label, or the Japanese one. */
export function categoryLabel(name, englishLabel) {
  if (current === "ja" && CATEGORY_JA[name]) return CATEGORY_JA[name];
  const label = englishLabel ?? name.replaceAll("_", " ");
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** A diagnosis name from a labels.json row / classification entry (`en`, `ja`). */
export function diagnosisName(entry) {
  return (current === "ja" ? entry.ja : entry.en) || entry.en || entry.code;
}

/** Fills `data-i18n` / `data-i18n-attr` elements under `root` and sets `lang`. */
export function applyStrings(root, langHost) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(",")) {
      const [attr, key] = pair.split(":");
      el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
  if (langHost) langHost.lang = current;
}
