//! The scrub pipeline: sniff → limits → container inventory → decode → orient → sRGB →
//! (checks, then the face step; the checks' fills) → lossless JPEG rewrite or re-encode.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::container::{self, Parsed};
use crate::decode::{self, Colour, Format, Limits, Pixels};
use crate::encode;
use crate::redact::{fill_regions, Canvas, Rect};
use crate::report::{FaceEntry, Gate, Inventory, OutputKind, Report, ReviewFlag, Status};
use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// Lossless JPEG rewrite when possible; otherwise JPEG for JPEG input and PNG for the rest
    /// (PNG keeps every decoded pixel of a lossless source, and keeps alpha).
    #[default]
    Auto,
    /// Always JPEG (lossless rewrite when possible); transparency is laid over white.
    Jpeg,
    /// Always PNG (never the lossless JPEG path).
    Png,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScrubOptions {
    pub limits: Limits,
    pub format: OutputFormat,
    /// JPEG quality for re-encoding, 1–100.
    pub quality: u8,
}

impl Default for ScrubOptions {
    fn default() -> Self {
        ScrubOptions {
            limits: Limits::default(),
            format: OutputFormat::Auto,
            quality: encode::DEFAULT_JPEG_QUALITY,
        }
    }
}

/// A clean photo and what was done to it. When `report.status` is [`Status::Excluded`],
/// `image` is empty and `mime` is `""`: there is nothing to write.
#[derive(Debug, Clone)]
pub struct Scrubbed {
    pub image: Vec<u8>,
    pub mime: &'static str,
    pub report: Report,
}

// ---------------------------------------------------------------------------------------------
// Hook for the face step and the checks: detection, redaction and the identifiable-photo gate
// plug in here as `PixelStep`s. They see upright sRGB pixels; the face step may edit them in
// place, a check asks for its fills in `StepOutcome::fill`.
// ---------------------------------------------------------------------------------------------

/// A step that inspects and may change the upright sRGB pixels before output.
pub trait PixelStep {
    /// Runs on the photo's pixels. An error stops the photo (fail closed: no output).
    fn run(&mut self, pixels: &mut Pixels) -> Result<StepOutcome, Error>;

    /// False for a step that would neither look at nor change the pixels (face detection
    /// turned off): a JPEG that needs no pixel change is then rewritten without decoding.
    fn reads_pixels(&self) -> bool {
        true
    }
}

/// What a [`PixelStep`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepOutcome {
    /// True when any pixel was changed (a fill to come closes it too): the lossless JPEG path is
    /// then closed.
    pub pixels_changed: bool,
    /// Faces found (and redacted), for the report.
    pub faces: Vec<FaceEntry>,
    /// The gate's decision; `excluded: true` means no output for this photo.
    pub gate: Option<Gate>,
    /// What a reviewer must look at.
    pub review: Vec<ReviewFlag>,
    /// Rectangles to paint with the irreversible fill once every step has looked (the text
    /// check's lines): [`finish`] paints them, so no step sees what another one filled.
    pub fill: Vec<Rect>,
}

/// The face step and the checks of one scrub. The checks (text, tattoo, fingerprint) look first,
/// at the photo as decoded, and change no pixel; then the face step detects and redacts. So
/// every detector sees the same upright pixels, and the checks can run anywhere, on another
/// decode of the same file (the page's helper workers: [`Looked`]), with the same result.
/// When the face step excludes the photo, only its outcome counts: nothing leaves.
pub struct Chain<'a> {
    pub face: &'a mut dyn PixelStep,
    pub checks: Vec<&'a mut dyn PixelStep>,
}

impl<'a> Chain<'a> {
    /// The face step alone; add checks with [`Chain::check`].
    pub fn new(face: &'a mut dyn PixelStep) -> Chain<'a> {
        Chain { face, checks: Vec::new() }
    }

    /// Adds a check (in report order).
    pub fn check(mut self, check: &'a mut dyn PixelStep) -> Chain<'a> {
        self.checks.push(check);
        self
    }
}

impl PixelStep for Chain<'_> {
    fn run(&mut self, pixels: &mut Pixels) -> Result<StepOutcome, Error> {
        let looked = look(&mut self.checks, pixels)?;
        let mut merged = self.face.run(pixels)?;
        if !merged.excluded() {
            merged.absorb(looked);
        }
        Ok(merged)
    }

    fn reads_pixels(&self) -> bool {
        self.face.reads_pixels() || self.checks.iter().any(|step| step.reads_pixels())
    }
}

/// Runs each check on `pixels` and merges what they found, in order. A check changes no pixel
/// (it asks for fills instead), so each one sees the photo as decoded.
pub fn look(checks: &mut [&mut dyn PixelStep], pixels: &mut Pixels) -> Result<StepOutcome, Error> {
    let mut merged = StepOutcome::default();
    for check in checks.iter_mut() {
        merged.absorb(check.run(pixels)?);
    }
    Ok(merged)
}

impl StepOutcome {
    fn excluded(&self) -> bool {
        self.gate.as_ref().is_some_and(|g| g.excluded)
    }

    /// Adds what another step found; an excluding gate wins over any other.
    fn absorb(&mut self, other: StepOutcome) {
        if self.gate.is_none() || other.excluded() {
            self.gate = other.gate.or(self.gate.take());
        }
        self.pixels_changed |= other.pixels_changed;
        self.faces.extend(other.faces);
        self.review.extend(other.review);
        self.fill.extend(other.fill);
    }
}

/// A check whose outcome was computed elsewhere (a helper worker that decoded the same file):
/// it hands that outcome over once, as if it had just looked.
pub struct Looked(pub Option<StepOutcome>);

impl PixelStep for Looked {
    fn run(&mut self, _pixels: &mut Pixels) -> Result<StepOutcome, Error> {
        Ok(self.0.take().unwrap_or_default())
    }
}

/// A step that changes nothing: what [`scrub_without_faces`] runs, for callers that decided to skip faces.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPixelStep;

impl PixelStep for NoPixelStep {
    fn run(&mut self, _pixels: &mut Pixels) -> Result<StepOutcome, Error> {
        Ok(StepOutcome::default())
    }

    fn reads_pixels(&self) -> bool {
        false
    }
}

/// Scrubs one photo: the output carries no metadata, upright sRGB pixels, and the report says
/// what was removed and how the output was made. Same input and options → same bytes.
///
/// This runs NO face step, as its name says: the CLI and the browser default to [`scrub_with`]
/// and a [`crate::face::FaceStep`], which fails closed. Call this only where the operator has
/// explicitly turned face detection off (or the photo is known to hold none, as in tests).
///
/// `input` belongs to the caller, who zeroizes it when done (the CLI and the wasm bindings do).
/// Every pixel buffer hifu allocates for the original (the decoded image, its 8-bit, upright
/// and sRGB copies) is zeroized before this returns. Not wiped, only freed: the decoders'
/// internal scratch (the `image` JPEG decoder's copy of the compressed input, zune-jpeg's
/// component planes, the PNG decoder's row buffers) and the encoders' working buffers.
pub fn scrub_without_faces(input: &[u8], options: &ScrubOptions) -> Result<Scrubbed, Error> {
    scrub_with(input, options, &mut NoPixelStep)
}

/// [`scrub_without_faces`] with a pixel step (face detection and redaction) run on the upright sRGB pixels.
pub fn scrub_with(
    input: &[u8],
    options: &ScrubOptions,
    step: &mut dyn PixelStep,
) -> Result<Scrubbed, Error> {
    match prepare(input, options, step)? {
        Prepared::Done(scrubbed) => Ok(scrubbed),
        Prepared::Decoded(decoded) => finish(input, decoded, options, step),
    }
}

/// The metadata categories `input` carries, without decoding its pixels.
pub fn inspect(input: &[u8], limits: &Limits) -> Result<Inventory, Error> {
    let format = decode::identify(input, limits)?;
    Ok(container::parse(input, format)?.inventory)
}

/// Everything after the container has been parsed (split out so tests can hand in a `Parsed`).
#[cfg(test)]
fn scrub_parsed(
    input: &[u8],
    format: Format,
    parsed: Parsed,
    options: &ScrubOptions,
    step: &mut dyn PixelStep,
) -> Result<Scrubbed, Error> {
    match prepare_parsed(input, format, parsed, options, step)? {
        Prepared::Done(scrubbed) => Ok(scrubbed),
        Prepared::Decoded(decoded) => finish(input, decoded, options, step),
    }
}

/// A photo part way through [`scrub_with`]: either already done (its JPEG leaves without its
/// pixels being decoded) or decoded and waiting for its pixel steps and output.
pub enum Prepared {
    Done(Scrubbed),
    Decoded(Decoded),
}

/// Upright sRGB pixels and what the container said, between [`prepare`] and [`finish`]. The
/// pixels are wiped when this is dropped (see [`Pixels`]).
pub struct Decoded {
    format: Format,
    parsed: Parsed,
    pixels: Pixels,
    orientation: u8,
    colour: Colour,
}

impl Decoded {
    /// The upright sRGB pixels the steps will see.
    pub fn pixels(&self) -> &Pixels {
        &self.pixels
    }

    /// The same, for checks run outside a scrub (a helper worker's `checkMarks`).
    pub fn pixels_mut(&mut self) -> &mut Pixels {
        &mut self.pixels
    }
}

/// The first half of [`scrub_with`]: checks, parses and (unless `step` reads no pixels and
/// nothing would change them) decodes the photo. A caller that spreads part of a step's work
/// elsewhere (the page's Web Workers: `wasm::scrub`) does it between this and [`finish`];
/// `step` must be the one later given to `finish`.
pub fn prepare(input: &[u8], options: &ScrubOptions, step: &dyn PixelStep) -> Result<Prepared, Error> {
    if !(1..=100).contains(&options.quality) {
        return Err(encode::EncodeError::Quality(options.quality).into());
    }
    let format = decode::identify(input, &options.limits)?;
    let parsed = container::parse(input, format)?;
    prepare_parsed(input, format, parsed, options, step)
}

fn prepare_parsed(
    input: &[u8],
    format: Format,
    parsed: Parsed,
    options: &ScrubOptions,
    step: &dyn PixelStep,
) -> Result<Prepared, Error> {
    if let Some(frame) = metadata_only_frame(format, &parsed, options, step) {
        return metadata_only(input, format, parsed, frame).map(Prepared::Done);
    }
    // Otherwise pixels are decoded, even for the lossless path: the face step needs them, and
    // decoding proves the file is a whole, valid image.
    let (pixels, orientation, colour) = decode::upright(
        input,
        format,
        parsed.orientation,
        parsed.icc_profile.as_deref(),
        &options.limits,
    )?;
    Ok(Prepared::Decoded(Decoded {
        format,
        parsed,
        pixels,
        orientation,
        colour,
    }))
}

/// The second half of [`scrub_with`]: runs `step` on the decoded pixels and writes the clean
/// photo. `input` is the same photo [`prepare`] was given.
pub fn finish(
    input: &[u8],
    decoded: Decoded,
    options: &ScrubOptions,
    step: &mut dyn PixelStep,
) -> Result<Scrubbed, Error> {
    match finish_pixels(input, decoded, options, step)? {
        Finishing::Done(scrubbed) => Ok(scrubbed),
        Finishing::Jpeg(jpeg) => jpeg.encode(),
    }
}

/// What is left of a scrub once its pixels are final: nothing, or the JPEG to code (which the
/// page may share out in strips: [`JpegOutput`]).
pub enum Finishing {
    Done(Scrubbed),
    Jpeg(JpegOutput),
}

/// [`finish`] up to the output: the step, the fills, the report, and the lossless or PNG
/// output; a re-encoded JPEG is left to code.
pub fn finish_pixels(
    input: &[u8],
    decoded: Decoded,
    options: &ScrubOptions,
    step: &mut dyn PixelStep,
) -> Result<Finishing, Error> {
    let Decoded {
        format,
        parsed,
        mut pixels,
        orientation,
        colour,
    } = decoded;
    let outcome = step.run(&mut pixels)?;
    paint_fills(&mut pixels, &outcome.fill)?;

    let mut report = Report::empty(Status::Ok);
    report.input_format = Some(format);
    report.removed = parsed.inventory.categories;
    report.orientation_applied = Some(orientation);
    report.colour = Some(colour);
    report.width = Some(pixels.width());
    report.height = Some(pixels.height());
    report.faces = outcome.faces;
    report.gate = outcome.gate;
    report.review = outcome.review;
    if report.gate.as_ref().is_some_and(|g| g.excluded) {
        report.status = Status::Excluded;
        return Ok(Finishing::Done(Scrubbed {
            image: Vec::new(),
            mime: "",
            report,
        }));
    }

    let pixels_changed =
        orientation != 1 || colour == Colour::Converted || outcome.pixels_changed || !outcome.fill.is_empty();
    let lossless = format == Format::Jpeg && !pixels_changed && options.format != OutputFormat::Png;
    let (image, out_format, kind) = if lossless {
        (
            container::strip_jpeg(input)?,
            Format::Jpeg,
            OutputKind::Lossless,
        )
    } else {
        let out_format = match options.format {
            OutputFormat::Jpeg => Format::Jpeg,
            OutputFormat::Png => Format::Png,
            OutputFormat::Auto if format == Format::Jpeg && !pixels.has_alpha() => Format::Jpeg,
            OutputFormat::Auto => Format::Png,
        };
        if out_format == Format::Jpeg {
            let chroma = output_chroma(parsed.jpeg_frame, orientation);
            let plan = encode::JpegStrips::new(pixels.width(), pixels.height(), options.quality, chroma)?;
            return Ok(Finishing::Jpeg(JpegOutput { pixels, plan, report }));
        }
        (encode::png(&pixels)?, out_format, OutputKind::ReEncoded)
    };
    Ok(Finishing::Done(done(image, out_format, kind, report)))
}

fn done(image: Vec<u8>, format: Format, kind: OutputKind, mut report: Report) -> Scrubbed {
    report.output_format = Some(format);
    report.output_mime = Some(format.mime().to_owned());
    report.output_kind = Some(kind);
    Scrubbed {
        image,
        mime: format.mime(),
        report,
    }
}

/// A scrub's final pixels and report, waiting for their JPEG: coded here ([`Self::encode`]),
/// or in strips, some of them elsewhere ([`Self::strip_rgb`], [`Self::done_with`]): the bytes are
/// the same either way (see [`encode::JpegStrips`]). The pixels are wiped when it is dropped.
pub struct JpegOutput {
    pixels: Pixels,
    plan: encode::JpegStrips,
    report: Report,
}

impl JpegOutput {
    pub fn plan(&self) -> &encode::JpegStrips {
        &self.plan
    }

    pub fn width(&self) -> u32 {
        self.pixels.width()
    }

    pub fn height(&self) -> u32 {
        self.pixels.height()
    }

    /// A copy of the RGB rows `top..bottom` as a strip is coded from them (transparency over
    /// white), for another worker.
    pub fn strip_rgb(&self, top: u32, bottom: u32) -> Result<Zeroizing<Vec<u8>>, Error> {
        encode::jpeg_rows(&self.pixels, top, bottom).map_err(Error::from)
    }

    /// Codes the strip of rows `top..bottom` here (one of [`Self::plan`]'s).
    pub fn encode_strip(&self, top: u32, bottom: u32) -> Result<Vec<u8>, Error> {
        encode::jpeg_strip(&self.pixels, &self.plan, top, bottom).map_err(Error::from)
    }

    /// Codes the whole JPEG here (natively in strips over the cores).
    pub fn encode(self) -> Result<Scrubbed, Error> {
        let JpegOutput { pixels, plan, report } = self;
        let image = encode::jpeg_with_plan(&pixels, &plan)?;
        Ok(done(image, Format::Jpeg, OutputKind::ReEncoded, report))
    }

    /// The scrub's result with `image`, its JPEG coded elsewhere as [`Self::plan`] says
    /// (its strips joined by [`encode::JpegStrips::join`]).
    pub fn done_with(self, image: Vec<u8>) -> Scrubbed {
        let JpegOutput { report, .. } = self;
        done(image, Format::Jpeg, OutputKind::ReEncoded, report)
    }
}

/// The chroma subsampling a re-encoded JPEG keeps: the source JPEG's, across and down as the
/// upright pixels lie (orientations 5–8 turn the photo a quarter). `None` for other sources.
pub fn output_chroma(frame: Option<container::JpegFrame>, orientation: u8) -> Option<(u8, u8)> {
    let (h, v) = frame?.chroma_subsampling?;
    Some(if orientation >= 5 { (v, h) } else { (h, v) })
}

/// Paints the fills the checks asked for ([`StepOutcome::fill`]) onto `pixels`.
pub fn paint_fills(pixels: &mut Pixels, fill: &[Rect]) -> Result<(), Error> {
    if fill.is_empty() {
        return Ok(());
    }
    let (width, height, channels) = (pixels.width() as usize, pixels.height() as usize, pixels.channels() as usize);
    let mut canvas = Canvas { samples: pixels.samples_mut(), width, height, channels };
    fill_regions(&mut canvas, fill).map_err(|e| crate::face::FaceError::Redaction(e.to_string()).into())
}

/// The frame of a JPEG that can leave without its pixels being decoded: no step reads them,
/// and nothing would change them (upright, no colour profile or an sRGB one, JPEG out). The
/// container walk has already checked every segment length and walked every scan to EOI; the
/// frame must be an ordinary one (8-bit Huffman baseline, extended or progressive; grey or
/// colour) within the limits. Anything else is decoded as before, and so gives the decoder's
/// own errors.
fn metadata_only_frame(
    format: Format,
    parsed: &Parsed,
    options: &ScrubOptions,
    step: &dyn PixelStep,
) -> Option<container::JpegFrame> {
    let frame = parsed.jpeg_frame?;
    let (width, height) = (u32::from(frame.width), u32::from(frame.height));
    let ordinary = matches!(frame.process, 0..=2)
        && frame.precision == 8
        && matches!(frame.components, 1 | 3)
        && options
            .limits
            .check_header(width, height, u64::from(width) * u64::from(height) * 3)
            .is_ok();
    let colour_kept = match &parsed.icc_profile {
        None => true,
        Some(icc) => frame.components == 3 && decode::colour::is_srgb_rgb_profile(icc),
    };
    let unchanged = !(2..=8).contains(&parsed.orientation) && colour_kept;
    (format == Format::Jpeg
        && options.format != OutputFormat::Png
        && !step.reads_pixels()
        && unchanged
        && ordinary)
        .then_some(frame)
}

fn metadata_only(
    input: &[u8],
    format: Format,
    parsed: Parsed,
    frame: container::JpegFrame,
) -> Result<Scrubbed, Error> {
    let image = container::strip_jpeg(input)?;
    // metadata_only_frame let a profile through only when it is sRGB.
    let colour = match parsed.icc_profile {
        None => Colour::None,
        Some(_) => Colour::Srgb,
    };
    let mut report = Report::empty(Status::Ok);
    report.input_format = Some(format);
    report.removed = parsed.inventory.categories;
    report.orientation_applied = Some(1);
    report.colour = Some(colour);
    report.width = Some(u32::from(frame.width));
    report.height = Some(u32::from(frame.height));
    report.output_format = Some(Format::Jpeg);
    report.output_mime = Some(Format::Jpeg.mime().to_owned());
    report.output_kind = Some(OutputKind::Lossless);
    Ok(Scrubbed {
        image,
        mime: Format::Jpeg.mime(),
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::scrub_without_faces as scrub;
    use crate::container::Inventory;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let data: Vec<u8> = (0..width * height * 3)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let p = Pixels::new(width, height, 3, zeroize::Zeroizing::new(data)).unwrap();
        encode::jpeg(&p, 90).unwrap()
    }

    fn parsed(orientation: u8) -> Parsed {
        Parsed {
            inventory: Inventory::default(),
            orientation,
            icc_profile: None,
            jpeg_frame: None,
        }
    }

    fn run(input: &[u8], parsed: Parsed, options: &ScrubOptions) -> Scrubbed {
        scrub_parsed(input, Format::Jpeg, parsed, options, &mut NoPixelStep).unwrap()
    }

    #[test]
    fn a_rotated_jpeg_is_re_encoded_upright() {
        let input = jpeg(8, 4);
        let out = run(&input, parsed(6), &ScrubOptions::default());
        assert_eq!(out.report.output_kind, Some(OutputKind::ReEncoded));
        assert_eq!(out.report.orientation_applied, Some(6));
        assert_eq!((out.report.width, out.report.height), (Some(4), Some(8)));
        assert_eq!(out.mime, "image/jpeg");
        let decoded = image::load_from_memory(&out.image).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (4, 8));
    }

    #[test]
    fn a_re_encoded_jpeg_keeps_the_sources_chroma_subsampling_turned_with_the_photo() {
        // 4:2:2 (two luma samples across share one chroma sample) turned a quarter is 4:4:0.
        let data: Vec<u8> = (0..32 * 16 * 3).map(|i| (i * 7 % 251) as u8).collect();
        let p = Pixels::new(32, 16, 3, zeroize::Zeroizing::new(data)).unwrap();
        let input = encode::jpeg_with_chroma(&p, 90, Some((2, 1))).unwrap();
        let mut source = container::parse(&input, Format::Jpeg).unwrap();
        assert_eq!(source.jpeg_frame.and_then(|f| f.chroma_subsampling), Some((2, 1)));
        let chroma = |out: &Scrubbed| container::parse(&out.image, Format::Jpeg).unwrap().jpeg_frame.and_then(|f| f.chroma_subsampling);
        for (orientation, expected) in [(3, (2, 1)), (6, (1, 2)), (8, (1, 2))] {
            source.orientation = orientation;
            let out = run(&input, source.clone(), &ScrubOptions::default());
            assert_eq!(out.report.output_kind, Some(OutputKind::ReEncoded));
            assert_eq!(chroma(&out), Some(expected), "orientation {orientation}");
        }
        // Without the source's frame, chroma keeps full resolution at the default quality.
        let out = run(&input, parsed(6), &ScrubOptions::default());
        assert_eq!(chroma(&out), Some((1, 1)));
    }

    #[test]
    fn forced_png_never_takes_the_lossless_path() {
        let input = jpeg(8, 4);
        let options = ScrubOptions {
            format: OutputFormat::Png,
            ..Default::default()
        };
        let out = run(&input, parsed(1), &options);
        assert_eq!(out.report.output_kind, Some(OutputKind::ReEncoded));
        assert_eq!(out.mime, "image/png");
    }

    #[test]
    fn a_step_that_changes_pixels_closes_the_lossless_path_and_an_excluding_gate_stops_output() {
        struct Paint(bool);
        impl PixelStep for Paint {
            fn run(&mut self, pixels: &mut Pixels) -> Result<StepOutcome, Error> {
                pixels.samples_mut().fill(0);
                Ok(StepOutcome {
                    pixels_changed: true,
                    faces: Vec::new(),
                    gate: Some(Gate {
                        excluded: self.0,
                        reason: self.0.then_some(crate::report::GateReason::FullFace),
                    }),
                    review: Vec::new(),
                    fill: Vec::new(),
                })
            }
        }
        let input = jpeg(8, 4);
        let options = ScrubOptions::default();
        let out =
            scrub_parsed(&input, Format::Jpeg, parsed(1), &options, &mut Paint(false)).unwrap();
        assert_eq!(out.report.output_kind, Some(OutputKind::ReEncoded));
        let decoded = image::load_from_memory(&out.image).unwrap().to_rgb8();
        assert!(decoded.pixels().all(|p| p.0.iter().all(|&c| c < 3)));

        let out =
            scrub_parsed(&input, Format::Jpeg, parsed(1), &options, &mut Paint(true)).unwrap();
        assert_eq!(out.report.status, Status::Excluded);
        assert!(out.image.is_empty());
    }

    /// A check that records the pixels it saw and asks for its rectangle to be filled.
    struct Peek {
        seen: Vec<u8>,
        fill: Rect,
    }

    impl PixelStep for Peek {
        fn run(&mut self, pixels: &mut Pixels) -> Result<StepOutcome, Error> {
            self.seen = pixels.samples().to_vec();
            Ok(StepOutcome { fill: vec![self.fill], ..StepOutcome::default() })
        }
    }

    /// A face step that paints its left column black, or excludes the photo.
    struct LeftColumn {
        exclude: bool,
        seen: Vec<u8>,
    }

    impl PixelStep for LeftColumn {
        fn run(&mut self, pixels: &mut Pixels) -> Result<StepOutcome, Error> {
            self.seen = pixels.samples().to_vec();
            let (w, c) = (pixels.width() as usize, pixels.channels() as usize);
            for row in pixels.samples_mut().chunks_exact_mut(w * c) {
                row[..c].fill(0);
            }
            Ok(StepOutcome {
                pixels_changed: true,
                gate: Some(Gate { excluded: self.exclude, reason: None }),
                ..StepOutcome::default()
            })
        }
    }

    #[test]
    fn checks_and_the_face_step_see_the_photo_as_decoded_and_fills_come_last() {
        let input = jpeg(8, 4);
        let options = ScrubOptions { format: OutputFormat::Png, ..Default::default() };
        let decoded = match prepare(&input, &options, &NoPixelStep).unwrap() {
            Prepared::Decoded(d) => d.pixels().samples().to_vec(),
            Prepared::Done(_) => panic!("PNG output decodes"),
        };
        let mut face = LeftColumn { exclude: false, seen: Vec::new() };
        let mut check = Peek { seen: Vec::new(), fill: Rect { x0: 6, y0: 0, x1: 99, y1: 2 } };
        let out = scrub_with(&input, &options, &mut Chain::new(&mut face).check(&mut check)).unwrap();
        assert_eq!(check.seen, decoded, "the check saw the face step's paint");
        assert_eq!(face.seen, decoded, "the face step saw the check's fill");
        let png = image::load_from_memory(&out.image).unwrap().to_rgb8();
        for (x, y, p) in png.enumerate_pixels() {
            let expected = if x >= 6 && y < 2 {
                crate::redact::FILL_RGB
            } else if x == 0 {
                [0, 0, 0]
            } else {
                let at = ((y * 8 + x) * 3) as usize;
                [decoded[at], decoded[at + 1], decoded[at + 2]]
            };
            assert_eq!(p.0, expected, "pixel ({x}, {y})");
        }

        // Checks computed elsewhere (`Looked`) give the same photo.
        let outcome = Peek { seen: Vec::new(), fill: Rect { x0: 6, y0: 0, x1: 99, y1: 2 } }
            .run(&mut Pixels::new(8, 4, 3, zeroize::Zeroizing::new(decoded.clone())).unwrap())
            .unwrap();
        let mut looked = Looked(Some(outcome));
        let again = scrub_with(&input, &options, &mut Chain::new(&mut face).check(&mut looked)).unwrap();
        assert_eq!(again.image, out.image);

        // An excluding face step drops what the checks found: nothing leaves.
        let mut face = LeftColumn { exclude: true, seen: Vec::new() };
        let out = scrub_with(&input, &options, &mut Chain::new(&mut face).check(&mut check)).unwrap();
        assert_eq!(out.report.status, Status::Excluded);
        assert!(out.image.is_empty() && out.report.review.is_empty());
    }

    #[test]
    fn a_bad_quality_is_refused_before_reading_the_file() {
        let options = ScrubOptions {
            quality: 0,
            ..Default::default()
        };
        assert_eq!(scrub(b"", &options).unwrap_err().code(), "encode.quality");
    }
}
