// The shim's module loader with V8 code caches (src/cli/shadowd-pam/code-cache.ts): modules
// behave as under require(); caches are written once, used next time, replaced when the
// source changed; an unwritable cache directory only costs speed.
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createCachedLoader } from "../../../src/cli/shadowd-pam/code-cache";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "shd-cc-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
/** A fresh tree of CommonJS modules as tsc writes them (relative requires without .js). */
function makeTree(): { root: string; cacheDir: string; main: string } {
  const root = path.join(scratch, `tree-${counter++}`, "src");
  fs.mkdirSync(path.join(root, "lib"), { recursive: true });
  fs.writeFileSync(path.join(root, "main.js"), `"use strict";
const path = require("node:path");
const helper = require("./lib/helper");
const again = require("./lib/helper");
exports.answer = helper.twice(21);
exports.sameInstance = helper === again;
exports.where = path.basename(__dirname) + "/" + path.basename(__filename);
exports.helperWhere = helper.where;
`);
  fs.writeFileSync(path.join(root, "lib", "helper.js"), `"use strict";
exports.twice = (n) => n * 2;
exports.where = require("../lib/name").name + ":" + require("node:path").basename(__dirname);
`);
  fs.writeFileSync(path.join(root, "lib", "name.js"), `module.exports = { name: "helper" };\n`);
  return { root, cacheDir: path.join(root, "..", "code-cache"), main: path.join(root, "main.js") };
}

interface MainExports {
  answer: number;
  sameInstance: boolean;
  where: string;
  helperWhere: string;
}

describe("createCachedLoader", () => {
  it("loads a module graph as require() would: exports, one instance per module, __dirname and __filename", () => {
    const tree = makeTree();
    const exports = createCachedLoader(tree.root, tree.cacheDir).load(tree.main) as MainExports;
    assert.deepEqual({ ...exports }, { answer: 42, sameInstance: true, where: "src/main.js", helperWhere: "helper:lib" });
  });

  it("writes a cache per module, then uses them: miss, persist, hit", () => {
    const tree = makeTree();
    const first = createCachedLoader(tree.root, tree.cacheDir);
    first.load(tree.main);
    assert.deepEqual([...first.report().values()], ["miss", "miss", "miss"]);
    assert.equal(first.persist(), 3);
    assert.deepEqual(fs.readdirSync(tree.cacheDir).sort(), ["lib__helper.js.v8", "lib__name.js.v8", "main.js.v8"]);
    const second = createCachedLoader(tree.root, tree.cacheDir);
    assert.equal((second.load(tree.main) as MainExports).answer, 42);
    assert.deepEqual([...second.report().values()], ["hit", "hit", "hit"]);
    assert.equal(second.persist(), 0, "nothing to write when every cache was used");
  });

  it("replaces the cache of a module whose source changed (V8 rejects it)", () => {
    const tree = makeTree();
    const first = createCachedLoader(tree.root, tree.cacheDir);
    first.load(tree.main);
    first.persist();
    fs.writeFileSync(path.join(tree.root, "lib", "helper.js"), `"use strict";\nexports.twice = (n) => n * 3;\nexports.where = "changed";\n`);
    const second = createCachedLoader(tree.root, tree.cacheDir);
    assert.equal((second.load(tree.main) as MainExports).answer, 63, "the new source runs, not the cached one");
    assert.equal(second.report().get(path.join(tree.root, "lib", "helper.js")), "rejected");
    assert.equal(second.persist(), 1);
    const third = createCachedLoader(tree.root, tree.cacheDir);
    third.load(tree.main);
    assert.ok([...third.report().values()].every((state) => state === "hit"));
  });

  it("leaves modules outside its root to require()", () => {
    const tree = makeTree();
    const outside = path.join(scratch, `outside-${counter++}.js`);
    fs.writeFileSync(outside, "exports.outside = true;\n");
    const loader = createCachedLoader(tree.root, tree.cacheDir);
    assert.deepEqual({ ...(loader.load(outside) as object) }, { outside: true });
    assert.equal(loader.report().get(outside), "fallback");
  });

  it("only gets slower when the cache directory cannot be written", () => {
    const tree = makeTree();
    const loader = createCachedLoader(tree.root, "/dev/null/code-cache");
    assert.equal((loader.load(tree.main) as MainExports).answer, 42);
    assert.equal(loader.persist(), 0);
  });

  it("throws a module's own error, as require() would", () => {
    const tree = makeTree();
    fs.writeFileSync(path.join(tree.root, "broken.js"), "exports.x = ;\n");
    assert.throws(() => createCachedLoader(tree.root, tree.cacheDir).load(path.join(tree.root, "broken.js")), SyntaxError);
  });
});
