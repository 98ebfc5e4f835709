//! Face redaction: fill (default, irreversible), pixelate, blur.
