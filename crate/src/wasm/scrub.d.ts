/** A kind of metadata a photo carried, never its value. `categories()` gives a label for each. */
export type Category =
  | "exif"
  | "exif_gps"
  | "exif_serial_numbers"
  | "exif_owner_name"
  | "exif_date_time"
  | "exif_description"
  | "exif_maker_note"
  | "exif_thumbnail"
  | "xmp"
  | "xmp_extended"
  | "iptc"
  | "icc_profile"
  | "comment"
  | "mpf_images"
  | "trailing_data"
  | "png_text"
  | "png_time"
  | "webp_exif"
  | "webp_xmp"
  | "jfif_thumbnail"
  | "other_app_segment"
  | "tiff_metadata";

/** Decode limits, checked before any pixel buffer is allocated. Omitted fields keep defaults. */
export interface Limits {
  max_width?: number;
  max_height?: number;
  /** Largest decoded image in bytes. */
  max_alloc?: number;
  /** Largest input file in bytes. */
  max_input_bytes?: number;
}

export interface ScrubOptions {
  /** "auto" (default): lossless JPEG when no pixel change is needed, else JPEG for JPEG input, PNG otherwise. */
  format?: "auto" | "jpeg" | "png";
  /** JPEG quality for re-encoding, 1–100. */
  quality?: number;
  limits?: Limits;
  /** Face detection and redaction; on by default (fail closed without a detector). */
  face?: FaceOptions;
}

/** The face step's options (`FaceOptions` in the core, CLI `--redact` etc.). */
export interface FaceOptions {
  /** Detect and redact faces (default true). `false` is an explicit operator decision. */
  detect?: boolean;
  /** "fill" (default, irreversible), "pixelate", or "blur" (reversible in part; explicit only). */
  redact?: "fill" | "pixelate" | "blur";
  /** Margin around each face box per side, as a share of its size (at least 0.2). */
  margin?: number;
  /** Output full-face portraits (redacted) instead of excluding them. */
  allow_full_face?: boolean;
}

export type Format = "jpeg" | "png" | "webp" | "tiff" | "heif";
export type Colour = "none" | "srgb" | "converted" | "unreadable_profile" | "unsupported_profile";

/** One face found (and redacted), in output pixel coordinates: the box is x, y, width, height. */
export interface FaceEntry {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Detector confidence, 0–1. */
  score: number;
  /** Eyes, nose tip, mouth corners, as [x, y]. */
  landmarks: [number, number][];
  /** "box": the face box (grown by the margin) was redacted; "eyes": a facial close-up, only a
   * band over the eyes was; "none": nothing (an excluded photo, or eyes outside the photo). */
  redacted: "box" | "eyes" | "none";
}

/** Something a person must check before the photo leaves the site. */
export interface ReviewFlag {
  /** "partial_face": a facial close-up kept for its lesion, with the eyes barred.
   * "face_part": the photo may show part of a face that no box was found for; nothing was
   * painted, a person must look. "text": lines of burned-in text were filled (when the text
   * check is on). "tattoo": the photo may show a tattoo (when the tattoo check is on); its
   * region is where the check saw it. "fingerprint": friction ridges (a fingertip's, palm's or
   * sole's print) are resolved (when the fingerprint check is on). */
  kind: "partial_face" | "face_part" | "text" | "tattoo" | "fingerprint";
  /** [x, y, width, height] in output pixels: the eye bands (or the face box); the whole photo
   * for "face_part"; the filled boxes for "text"; for "tattoo", the part of the photo that
   * made the check fire; for "fingerprint", the patches of resolved ridges. */
  regions: [number, number, number, number][];
  score: number;
}

/** The identifiable-photo gate's decision; present whenever the detector ran. */
export interface Gate {
  /** True: a full-face portrait, not output (status "excluded"). */
  excluded: boolean;
  /** "full_face" when excluded; "full_face_allowed" when allow_full_face let it through. */
  reason?: string;
}

/** What a scrub did to a photo (schema: README, "Scrub report schema"). */
export interface Report {
  status: "ok" | "excluded" | "error";
  error?: { code: string; message: string };
  input_format?: Format;
  output_format?: Format;
  output_mime?: string;
  /** "lossless": container rewritten, JPEG scan data bit-identical; otherwise re-encoded. */
  output_kind?: "lossless" | "re_encoded";
  width?: number;
  height?: number;
  /** What the input carried and the output no longer does. */
  removed: Category[];
  /** The EXIF orientation (1–8) applied to the pixels; 1 when already upright. */
  orientation_applied?: number;
  colour?: Colour;
  /** Faces found (and redacted unless the photo was excluded); empty when detection was off. */
  faces: FaceEntry[];
  /** Absent only when face detection was explicitly turned off. */
  gate?: Gate;
  /** What a reviewer must look at; absent when nothing. */
  review?: ReviewFlag[];
}

export interface ScrubResult {
  /** The clean photo (empty when the report's status is "excluded"). */
  image: Uint8Array;
  /** "image/jpeg" or "image/png" ("" when excluded). */
  mime: string;
  /** The file extension for `mime` ("jpg" or "png"; "" when excluded). */
  extension: string;
  report: Report;
}

export interface Inventory {
  categories: Category[];
}

export interface CategoryInfo {
  name: Category;
  /** A short English description for people. */
  label: string;
}

/** What every hifu function throws. `code` is stable ("decode.truncated", "options.invalid", …). */
export interface HifuError extends Error {
  name: "HifuError";
  code: string;
  message: string;
}

/** One of a shared scrub's YuNet passes (`FaceDetector.scrubJobs`): a tile of one pyramid level. */
export interface TileJobInfo {
  width: number;
  height: number;
  /** Whether the face-part features come from this pass (then `detectTile` returns them). */
  pooled: boolean;
}

/** A helper worker's `FaceDetector.detectTile` result, for the holder's `putJob`. */
export interface TileResult {
  /** 15 numbers per face: left, top, right, bottom, score, five landmarks (x, y), in the tile's pixels. */
  faces: Float32Array;
  /** The face-part features, for the pooled tile. */
  features?: Float32Array;
}

/** The output JPEG's bottom strip, which `FaceDetector.finishPixels` hands to a helper's `encodeStrip`. */
export interface StripJob {
  /** The strip's RGB rows, `width × rows × 3` bytes. */
  rgb: Uint8Array;
  width: number;
  /** The whole photo's height. */
  height: number;
  rows: number;
  quality: number;
  /** Luma samples per chroma sample across and down (the source JPEG's), or null. */
  chroma: [number, number] | null;
}

/** What a helper worker's `FaceDetector.checkMarks` found, for the holder's `finishScrub`. */
export interface CheckMarks {
  /** The checks that looked (`text`, `tattoo`, `fingerprint`), in report order. */
  checks: string[];
  review: ReviewFlag[];
  /** Rectangles to fill, `[x0, y0, x1, y1]` (half-open) in photo pixels. */
  fill: [number, number, number, number][];
}
