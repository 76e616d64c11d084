// IndexedDB: one small database for the device ("hoso": session, language) and one per
// signed-in person ("hoso-u<id>": client id, outbox, drafts, dossiers, inbox, conflicts),
// so a second person signing in on the same phone never sees or sends the first one's queue.
// `uploads`: the documents chosen on the phone (the file itself until it is sent, see uploads.js).
const USER_STORES = ['kv', 'outbox', 'drafts', 'dossiers', 'notifications', 'conflicts', 'results', 'uploads'];
const VERSION = 2; // 2: the `uploads` store
const opened = new Map();

export function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function open(name, stores) {
  if (!opened.has(name)) {
    opened.set(name, new Promise((resolve, reject) => {
      const r = indexedDB.open(name, VERSION);
      r.onupgradeneeded = () => {
        for (const s of stores) {
          if (!r.result.objectStoreNames.contains(s)) {
            r.result.createObjectStore(s, s === 'kv' ? undefined : { keyPath: 'id' });
          }
        }
      };
      r.onsuccess = () => {
        r.result.onversionchange = () => { r.result.close(); opened.delete(name); };
        resolve(r.result);
      };
      r.onerror = () => { opened.delete(name); reject(r.error); };
    }));
  }
  return opened.get(name);
}

class Store {
  constructor(name, stores) { this.name = name; this.stores = stores; }
  db() { return open(this.name, this.stores); }
  // Runs fn(stores) in one transaction; resolves with fn's result once the transaction committed.
  async tx(names, mode, fn) {
    const db = await this.db();
    const t = db.transaction(names, mode);
    const done = new Promise((resolve, reject) => {
      t.oncomplete = resolve;
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error || new Error('transaction aborted'));
    });
    const objs = Object.fromEntries(names.map((n) => [n, t.objectStore(n)]));
    let result;
    try {
      result = await fn(objs, t);
    } catch (e) {
      try { t.abort(); } catch { /* already finished */ }
      throw e;
    }
    await done;
    return result;
  }
  get(store, key) { return this.tx([store], 'readonly', (s) => req(s[store].get(key))); }
  all(store) { return this.tx([store], 'readonly', (s) => req(s[store].getAll())); }
  count(store) { return this.tx([store], 'readonly', (s) => req(s[store].count())); }
  put(store, value, key) {
    return this.tx([store], 'readwrite', (s) => req(key === undefined ? s[store].put(value) : s[store].put(value, key)));
  }
  del(store, key) { return this.tx([store], 'readwrite', (s) => req(s[store].delete(key))); }
  clear(store) { return this.tx([store], 'readwrite', (s) => req(s[store].clear())); }
}

export const device = new Store('hoso', ['kv']);
let current = null;

export function userStore(userId) {
  if (!current || current.userId !== userId) {
    current = new Store(`hoso-u${userId}`, USER_STORES);
    current.userId = userId;
  }
  return current;
}

// The store of the person signed in (or last signed in: their queue outlives their tokens).
export function store() {
  if (!current) throw new Error('no user store open');
  return current;
}

export function hasStore() { return current !== null; }
