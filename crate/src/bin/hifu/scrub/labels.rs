//! Human labels for metadata categories, for terminal output.

use hifu::Category;

/// The category's stable machine name, as in the JSON report (`"exif"`, `"gps"`, …).
pub fn name(category: &Category) -> String {
    match serde_json::to_value(category) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{category:?}"),
    }
}

/// A label for people. Keyed by the machine name so categories added to the core later still
/// print (as their name) before a label is written for them here.
pub fn label(category: &Category) -> String {
    let name = name(category);
    let label = match name.as_str() {
        "exif" => "EXIF block (camera settings and tags)",
        "gps" => "GPS position",
        "serial_numbers" | "serial_number" => "camera or lens serial number",
        "owner_name" | "owner" | "artist" => "owner or artist name",
        "capture_time" | "date_time" => "capture date and time",
        "maker_note" => "MakerNote (vendor data)",
        "thumbnail" | "exif_thumbnail" => "embedded thumbnail",
        "xmp" => "XMP",
        "extended_xmp" => "extended XMP",
        "iptc" | "photoshop" | "iptc_photoshop" => "IPTC / Photoshop",
        "icc" | "icc_profile" => "ICC colour profile",
        "comment" | "comments" => "comment",
        "mpf" => "MPF secondary images",
        "trailer" | "after_end" => "data after the end of the image (e.g. motion-photo video)",
        "png_text" | "text" => "PNG text chunks",
        "png_time" | "time" => "PNG modification time",
        "webp_exif" => "WebP EXIF chunk",
        "webp_xmp" => "WebP XMP chunk",
        _ => return name.replace('_', " "),
    };
    label.to_string()
}
