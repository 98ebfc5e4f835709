# Shared helpers for scripts/: idempotent installs and logging. Source, don't run.

step() { printf '\n==> %s\n' "$*"; }

# Installs with root where we are root (CI, dev machines here); sudo elsewhere.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_toolchain() {
    rustup target list --installed | grep -qx wasm32-unknown-unknown \
        || rustup target add wasm32-unknown-unknown
    # The CLI's allocator (mimalloc) compiles a little C.
    command -v cc >/dev/null || apt_install gcc libc6-dev
    # scripts/test lints the core and the CLI (no panic paths, see crate/src/lib.rs).
    cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
}

# The cargo target folder (CARGO_TARGET_DIR when set, else the workspace's target/).
target_dir() { echo "${CARGO_TARGET_DIR:-$PWD/target}"; }

# apt-get install, with one `apt-get update` first; only called when something is missing.
apt_install() {
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# Debian's Chromium and its chromedriver: wasm-bindgen-test and Playwright drive this one.
ensure_browser() {
    if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
        apt_install chromium chromium-driver
    fi
}

# exiftool (the independent metadata reader the tests check against; the bench baseline) and
# cjpeg (progressive JPEG fixtures). (scrub)
ensure_exiftool() {
    if command -v exiftool >/dev/null && command -v cjpeg >/dev/null; then return; fi
    apt_install libimage-exiftool-perl libjpeg-turbo-progs
}

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
ensure_wasm_bindgen() {
    local want
    want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
    if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
        # --locked first; when the registry no longer serves one of the tool's own locked
        # dependencies (it has happened: webpki-roots), resolve them afresh at the same version.
        cargo install wasm-bindgen-cli --version "$want" --locked \
            || cargo install wasm-bindgen-cli --version "$want"
    fi
}

# node + playwright-core (no browser download: it drives /usr/bin/chromium), exactly as locked.
ensure_node_modules() {
    command -v npm >/dev/null || apt_install nodejs npm
    if ! cmp -s package-lock.json node_modules/.hifu-installed-lock 2>/dev/null; then
        npm ci --no-audit --no-fund
        cp package-lock.json node_modules/.hifu-installed-lock
    fi
}

# The browser build: one release wasm build, then the JS glue + .d.ts into web/pkg/
# (which `hifu serve` embeds and the page imports).
build_web() {
    ensure_toolchain
    ensure_wasm_bindgen
    cargo build -p hifu --lib --target wasm32-unknown-unknown --no-default-features --release --locked
    wasm-bindgen --target web --out-dir web/pkg --out-name hifu \
        "$(target_dir)/wasm32-unknown-unknown/release/hifu.wasm"
}
