// The batch in IndexedDB, so a reload or a crash resumes: the plan (de-identified links, the
// hub's public key, the photo File handles) and one entry per processed photo (clean copy,
// report, verdict, reviewer decision). The site key is never stored: the plan already holds
// the pseudonyms it produced.
const DB = "hifu-contribute";
const VERSION = 1;

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, VERSION);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("meta");
      request.result.createObjectStore("items", { keyPath: "name" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

let dbPromise = null;
const db = () => (dbPromise ??= open());

async function run(store, mode, fn) {
  const tx = (await db()).transaction(store, mode);
  const request = fn(tx.objectStore(store));
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(request?.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const loadBatch = () => run("meta", "readonly", (s) => s.get("batch"));
export const saveBatch = (batch) => run("meta", "readwrite", (s) => s.put(batch, "batch"));
export const loadItems = () => run("items", "readonly", (s) => s.getAll());
export const saveItem = (item) => run("items", "readwrite", (s) => s.put(item));

export async function clearAll() {
  await run("meta", "readwrite", (s) => s.clear());
  await run("items", "readwrite", (s) => s.clear());
}
