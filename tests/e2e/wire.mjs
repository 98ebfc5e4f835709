// Bytes on the wire for one page load, counted by Chromium itself (CDP Network.loadingFinished:
// encodedDataLength is headers plus body as received, after any content coding). Shared by the
// clinician page test (the first-load budget) and scripts/lib/bench_wire.mjs.

/**
 * Counts what `go()` loads in `page` until the page says it is ready and the network has been
 * idle (the classifier's weights load in the background after "ready").
 * Returns { mb, kb, bytes, requests, not_modified, encodings: { url: coding } }.
 */
export async function countLoad(context, page, go) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  let bytes = 0;
  let requests = 0;
  let notModified = 0;
  const responses = new Map();
  const encodings = {};
  cdp.on("Network.responseReceived", (e) => responses.set(e.requestId, e.response));
  cdp.on("Network.loadingFinished", (e) => {
    bytes += e.encodedDataLength;
    requests += 1;
    const response = responses.get(e.requestId);
    if (response?.status === 304) notModified += 1;
    if (response) {
      const coding = Object.entries(response.headers).find(([k]) => k.toLowerCase() === "content-encoding")?.[1];
      encodings[new URL(response.url).pathname] = coding ?? "identity";
    }
  });
  await go();
  await page.waitForSelector("body[data-state=ready]", { timeout: 120_000 });
  await page.waitForLoadState("networkidle");
  await cdp.detach();
  return { mb: +(bytes / 1e6).toFixed(3), kb: +(bytes / 1e3).toFixed(1), bytes, requests, not_modified: notModified, encodings };
}
