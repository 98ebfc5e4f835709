// Browser half of scripts/bench (bench_wire): bytes on the wire for the clinician page served
// by `hifu serve`, on a first load (empty cache) and on a reload, counted by Chromium itself
// (tests/e2e/wire.mjs).
//   node scripts/lib/bench_wire.mjs
// Prints one JSON line.
import { launchBrowser, startServer } from "../../tests/e2e/serve.mjs";
import { countLoad } from "../../tests/e2e/wire.mjs";

const server = await startServer();
const browser = await launchBrowser();
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const summary = ({ mb, kb, requests, not_modified }) => ({ mb, kb, requests, not_modified });
  const first = summary(await countLoad(context, page, () => page.goto(`${server.origin}/`)));
  const reload = summary(await countLoad(context, page, () => page.reload()));
  console.log(JSON.stringify({ first, reload }));
} finally {
  await browser.close();
  server.stop();
}
