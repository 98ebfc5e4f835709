# Shared helpers for scripts/: idempotent installs and logging. Source, don't run.

step() { printf '\n==> %s\n' "$*"; }

# Installs with root where we are root (CI, dev machines here); sudo elsewhere.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_toolchain() {
    rustup target list --installed | grep -qx wasm32-unknown-unknown \
        || rustup target add wasm32-unknown-unknown
}

ensure_browser() { :; }       # (interfaces) chromium + chromium-driver
ensure_node_modules() { :; }  # (interfaces) npm ci for playwright-core

# exiftool (the independent metadata reader the tests check against) and cjpeg (progressive
# JPEG fixtures). (scrub)
ensure_exiftool() {
    if command -v exiftool >/dev/null && command -v cjpeg >/dev/null; then return; fi
    as_root apt-get update -qq
    as_root apt-get install -y -qq libimage-exiftool-perl libjpeg-turbo-progs
}
