// Owns loading the shim's compiled modules with V8 code caches. Node 20 has no module compile
// cache, and pam_exec starts a fresh process per login: compiling the shim's JavaScript again
// each time costs it ~6 ms. Each module is compiled with the cached data of an earlier run;
// missing or stale caches are written afterwards, when the directory is writable. Anything
// unexpected falls back to plain require().
import { existsSync, mkdirSync, readFileSync, renameSync, rm, writeFileSync } from "node:fs";
import { Script } from "node:vm";

/** The same wrapper as node's CommonJS loader, so line numbers in stack traces stay right. */
const WRAPPER_HEAD = "(function (exports, require, module, __filename, __dirname) { ";
const WRAPPER_TAIL = "\n});";

export interface CachedLoader {
  /** Load `file` (absolute, a .js file under the loader's root) and its relative requires. */
  load(file: string): unknown;
  /** Write the caches that were missing or rejected; returns how many were written. */
  persist(): number;
  /** Per module: "hit" (cache used), "miss" (none), "rejected" (stale), "fallback" (plain require). */
  report(): ReadonlyMap<string, "hit" | "miss" | "rejected" | "fallback">;
}

interface Loaded {
  exports: unknown;
}

/** The cache file of `file`: its path under root, with `/` turned into `__`. */
function cacheFileOf(rootPrefix: string, cacheDir: string, file: string): string {
  return `${cacheDir}/${file.slice(rootPrefix.length).split("/").join("__")}.v8`;
}

export function createCachedLoader(root: string, cacheDir: string): CachedLoader {
  const modules = new Map<string, Loaded>();
  const scripts = new Map<string, Script>();
  const status = new Map<string, "hit" | "miss" | "rejected" | "fallback">();

  /** `./x` or `../x` from an absolute module path (tsc writes nothing else); plain string work. */
  const resolveRelative = (from: string, spec: string): string => {
    const parts = from.split("/");
    parts.pop();
    for (const part of spec.split("/")) {
      if (part === "..") parts.pop();
      else if (part !== ".") parts.push(part);
    }
    const target = parts.join("/");
    return target.endsWith(".js") ? target : `${target}.js`;
  };
  const rootPrefix = root.endsWith("/") ? root : `${root}/`;

  const load = (file: string): unknown => {
    const known = modules.get(file);
    if (known !== undefined) return known.exports;
    if (!file.startsWith(rootPrefix) || !existsSync(file)) {
      status.set(file, "fallback");
      return require(file);
    }
    const module: Loaded = { exports: {} };
    modules.set(file, module);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(cacheFileOf(rootPrefix, cacheDir, file));
    } catch {
      cachedData = undefined;
    }
    let wrapper: (exports: unknown, require: (spec: string) => unknown, module: Loaded, filename: string, dirname: string) => void;
    try {
      const source = readFileSync(file, "utf8");
      const script = new Script(`${WRAPPER_HEAD}${source}${WRAPPER_TAIL}`, { filename: file, ...(cachedData === undefined ? {} : { cachedData }) });
      status.set(file, cachedData === undefined ? "miss" : script.cachedDataRejected === true ? "rejected" : "hit");
      if (status.get(file) !== "hit") scripts.set(file, script);
      wrapper = script.runInThisContext() as typeof wrapper;
    } catch {
      modules.delete(file);
      status.set(file, "fallback");
      return require(file);
    }
    const localRequire = (spec: string): unknown => (spec.startsWith("./") || spec.startsWith("../") ? load(resolveRelative(file, spec)) : require(spec));
    try {
      wrapper.call(module.exports, module.exports, localRequire, module, file, file.slice(0, file.lastIndexOf("/")));
    } catch (error) {
      // As require(): a module that threw is not kept.
      modules.delete(file);
      throw error;
    }
    return module.exports;
  };

  return {
    load,
    persist(): number {
      let written = 0;
      for (const [file, script] of scripts) {
        const target = cacheFileOf(rootPrefix, cacheDir, file);
        const temporary = `${target}.${process.pid}.tmp`;
        try {
          mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
          writeFileSync(temporary, script.createCachedData(), { mode: 0o644 });
          renameSync(temporary, target);
          written += 1;
        } catch {
          // A read-only install: every login compiles, a few milliseconds slower.
          rm(temporary, { force: true }, () => undefined);
        }
      }
      scripts.clear();
      return written;
    },
    report: () => status,
  };
}
