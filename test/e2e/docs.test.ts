// The documentation shows what the chains run: every configuration snippet the e2e tests
// install appears verbatim in a fenced block of its docs page; the systemd files are valid.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT, runCommand } from "../helpers/daemon";
import { DOCUMENTED_SNIPPETS } from "./helpers/mail-configs";

/** The fenced code blocks of a Markdown page, each as its text with a trailing newline. */
function fencedBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const pattern = /^( *)```[^\n]*\n([\s\S]*?)^\1```$/gm;
  for (const match of markdown.matchAll(pattern)) {
    const indent = match[1] ?? "";
    const body = (match[2] ?? "").split("\n").map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line)).join("\n");
    blocks.push(body);
  }
  return blocks;
}

describe("the docs show the configuration the chains run", () => {
  for (const snippet of DOCUMENTED_SNIPPETS) {
    it(`${snippet.page} shows the ${snippet.name} verbatim, in one block`, () => {
      const page = fs.readFileSync(path.join(REPO_ROOT, snippet.page), "utf8");
      const blocks = fencedBlocks(page);
      assert.ok(blocks.some((block) => block === snippet.text), `${snippet.page} has no code block that is exactly:\n${snippet.text}`);
    });
  }

  it("the README's mail-stack section names every docs page it relies on", () => {
    const section = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    for (const page of ["docs/pam.md", "docs/dovecot.md", "docs/postfix.md", "docs/saslauthd.md", "docs/systemd.md"]) {
      assert.ok(section.includes(page), `the section links ${page}`);
      assert.ok(fs.existsSync(path.join(REPO_ROOT, page)), `${page} exists`);
    }
  });
});

describe("the systemd files", () => {
  const unit = path.join(REPO_ROOT, "packaging/systemd/shadowd.service");
  const sysusers = path.join(REPO_ROOT, "packaging/systemd/shadowd.sysusers");
  const analyze = "/usr/bin/systemd-analyze";
  const noAnalyze = fs.existsSync(analyze) ? false : `${analyze} is not installed`;

  it("systemd-analyze verify finds nothing to say about shadowd.service", { skip: noAnalyze }, async () => {
    const result = await runCommand(analyze, ["verify", unit]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout + result.stderr, "", "no warning (an unknown key is only a warning)");
  });

  it("systemd-sysusers would create the shadowd user and group, and nothing else", { skip: fs.existsSync("/usr/bin/systemd-sysusers") ? false : "systemd-sysusers is not installed" }, async () => {
    const result = await runCommand("/usr/bin/systemd-sysusers", ["--dry-run", sysusers]);
    assert.equal(result.code, 0, result.stderr);
    const output = result.stdout + result.stderr;
    // On a machine that already has the user, there is nothing to create.
    if (!/^shadowd:/m.test(fs.readFileSync("/etc/passwd", "utf8"))) assert.match(output, /Creating user 'shadowd' \(shadowd authentication daemon\)/);
    assert.doesNotMatch(output, /[Ii]gnoring|[Ff]ailed/);
  });

  it("runs the daemon unprivileged, with its state and sockets where the docs say", () => {
    const text = fs.readFileSync(unit, "utf8");
    for (const line of ["User=shadowd", "StateDirectory=shadowd", "RuntimeDirectory=shadowd", "ExecStart=/usr/bin/node /opt/shadowd/bin/shadowd --state-dir /var/lib/shadowd --socket-dir /run/shadowd", "NoNewPrivileges=yes", "ProtectSystem=strict", "RestrictAddressFamilies=AF_UNIX"]) {
      assert.ok(text.split("\n").includes(line), `shadowd.service has ${line}`);
    }
    assert.ok(!/^MemoryDenyWriteExecute=yes/m.test(text), "no MemoryDenyWriteExecute: V8's JIT needs W+X memory");
  });
});
