// Tests --relay-ttl / SHADOWD_RELAY_TTL in daemon/config.ts: the default, the flag beating
// the environment, 0 (disabled), the bounds, and the help text.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, HELP_TEXT, loadConfig } from "../../../src/daemon/config";

function relayTtl(argv: string[], env: NodeJS.ProcessEnv = {}): number {
  const parsed = loadConfig(["--state-dir", "/tmp/shadowd-config-test", ...argv], env);
  assert.equal(parsed.kind, "run");
  return parsed.kind === "run" ? parsed.config.relayTtlSeconds : -1;
}

describe("--relay-ttl", () => {
  const cases: Array<[string, string[], NodeJS.ProcessEnv, number]> = [
    ["defaults to 600 seconds", [], {}, 600],
    ["takes the flag", ["--relay-ttl", "30"], {}, 30],
    ["takes 0, which disables POP-before-SMTP", ["--relay-ttl", "0"], {}, 0],
    ["takes SHADOWD_RELAY_TTL", [], { SHADOWD_RELAY_TTL: "120" }, 120],
    ["prefers the flag over the environment", ["--relay-ttl", "5"], { SHADOWD_RELAY_TTL: "120" }, 5],
    ["ignores an empty SHADOWD_RELAY_TTL", [], { SHADOWD_RELAY_TTL: "" }, 600],
    ["takes the largest value, a week", ["--relay-ttl", "604800"], {}, 604800],
  ];
  for (const [label, argv, env, expected] of cases) {
    it(label, () => assert.equal(relayTtl(argv, env), expected));
  }

  const refused: Array<[string, string]> = [
    ["a negative number", "-1"],
    ["a fraction", "1.5"],
    ["words", "ten"],
    ["more than a week", "604801"],
  ];
  for (const [label, value] of refused) {
    it(`refuses ${label}`, () => {
      assert.throws(() => loadConfig(["--relay-ttl", value], {}), (error: unknown) => error instanceof ConfigError && /--relay-ttl/.test(error.message));
    });
  }

  it("is explained in --help with its environment variable and default", () => {
    assert.match(HELP_TEXT, /--relay-ttl SECONDS[^]*SHADOWD_RELAY_TTL; default 600/);
  });
});
