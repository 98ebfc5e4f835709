// Browser half of scripts/bench (bench_wire): bytes on the wire for the clinician page served
// by `hifu serve`, on a first load (empty cache) and on a reload, counted by Chromium itself
// (CDP Network.loadingFinished: encodedDataLength is headers plus body as received).
//   node scripts/lib/bench_wire.mjs
// The page counts as loaded when it says "ready" and the network has been idle for 500 ms
// (the classifier's weights load in the background after "ready"). Prints one JSON line.
import { launchBrowser, startServer } from "../../tests/e2e/serve.mjs";

const server = await startServer();
const browser = await launchBrowser();
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  let bytes = 0;
  let requests = 0;
  let notModified = 0;
  const statusOf = new Map();
  cdp.on("Network.responseReceived", (e) => statusOf.set(e.requestId, e.response.status));
  cdp.on("Network.loadingFinished", (e) => {
    bytes += e.encodedDataLength;
    requests += 1;
    if (statusOf.get(e.requestId) === 304) notModified += 1;
  });
  const load = async (go) => {
    bytes = 0;
    requests = 0;
    notModified = 0;
    await go();
    await page.waitForSelector("body[data-state=ready]", { timeout: 120_000 });
    await page.waitForLoadState("networkidle");
    return { mb: +(bytes / 1e6).toFixed(3), kb: +(bytes / 1e3).toFixed(1), requests, not_modified: notModified };
  };
  const first = await load(() => page.goto(`${server.origin}/`));
  const reload = await load(() => page.reload());
  console.log(JSON.stringify({ first, reload }));
} finally {
  await browser.close();
  server.stop();
}
