// Where a sealed bundle goes. Where the browser can write to disk (the File System Access API:
// Chromium, Edge), each sealed photo is written as soon as it is sealed, so the page never
// holds the whole bundle — 2,000 photos of 12 MP make a bundle of several GB. Elsewhere the
// parts are collected into one Blob (the browser may page it to disk) and downloaded.

/**
 * Opens the destination. Must be called directly from the click handler: the save dialog needs
 * the user's gesture. Resolves to `{ write(bytes), close() → File|Blob, streamed }`, or null
 * when the user cancelled the dialog.
 */
export async function openBundleSink(fileName) {
  if (typeof window.showSaveFilePicker === "function") {
    let handle;
    try {
      handle = await window.showSaveFilePicker({
        suggestedName: fileName,
        types: [{ description: "hifu bundle", accept: { "application/octet-stream": [".hifu"] } }],
      });
    } catch (error) {
      if (error.name === "AbortError") return null;
      throw error;
    }
    const writable = await handle.createWritable();
    return {
      streamed: true,
      write: (bytes) => writable.write(bytes),
      async close() {
        await writable.close();
        return handle.getFile();
      },
      abort: () => writable.abort(),
    };
  }
  const parts = [];
  return {
    streamed: false,
    write: async (bytes) => void parts.push(bytes),
    async close() {
      const blob = new Blob(parts, { type: "application/octet-stream" });
      parts.length = 0;
      const link = document.getElementById("download");
      if (link.href) URL.revokeObjectURL(link.href);
      link.href = URL.createObjectURL(blob);
      link.download = fileName;
      link.click();
      return blob;
    },
    abort: async () => void (parts.length = 0),
  };
}

/**
 * The hub URL from the site configuration, resolved against the page, or an Error saying why
 * it cannot be used. The shipped CSP (`default-src 'self'`) only lets the page talk to its own
 * origin, so the hub is reached through a relay on the intranet server that serves the page.
 */
export function hubUploadUrl(configured) {
  if (!configured) return null;
  let url;
  try {
    url = new URL(configured, window.location.href);
  } catch {
    return new Error(`hub_url "${configured}" is not a URL`);
  }
  if (url.origin !== window.location.origin) {
    return new Error(`hub_url must be on this page's server (${window.location.origin}); the page's security policy blocks ${url.origin}`);
  }
  return url;
}

/** POSTs the sealed bundle (already encrypted for the hub) and nothing else. */
export async function uploadBundle(url, bundle, fileName) {
  const response = await fetch(url, {
    method: "POST",
    body: bundle,
    headers: { "content-type": "application/octet-stream", "x-hifu-bundle-name": fileName },
    credentials: "same-origin",
  });
  if (!response.ok) throw new Error(`the hub relay answered ${response.status} ${response.statusText}`);
}
