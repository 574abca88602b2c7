// Fails when src/gen/ is not what proto/ generates (run `make generate` and commit).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";

const ROOT = path.resolve(__dirname, "../../..");

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}

test("src/gen is exactly what `make generate` produces from proto/", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "shd-gen-"));
  try {
    execFileSync(path.join(ROOT, "node_modules/.bin/buf"), ["generate", "-o", out], { cwd: ROOT, stdio: "pipe" });
    const fresh = path.join(out, "src/gen");
    const committed = path.join(ROOT, "src/gen");
    assert.deepEqual(listFiles(fresh), listFiles(committed), "the same files");
    for (const file of listFiles(committed)) {
      assert.ok(fs.readFileSync(path.join(fresh, file)).equals(fs.readFileSync(path.join(committed, file))), `src/gen/${file} is stale: run make generate`);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
