// Owns finding the package root (for proto/ and migrations/) and the version, whether
// running from src/ through ts or from dist/src/.
import * as fs from "node:fs";
import * as path from "node:path";

let cachedRoot: string | null = null;

/** The folder holding shadowd's package.json. */
export function packageRoot(): string {
  if (cachedRoot !== null) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, "package.json");
    if (fs.existsSync(candidate) && JSON.parse(fs.readFileSync(candidate, "utf8")).name === "shadowd") return (cachedRoot = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find shadowd's package.json above ${__dirname}`);
    dir = parent;
  }
}

export function packageVersion(): string {
  return String(JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")).version);
}
