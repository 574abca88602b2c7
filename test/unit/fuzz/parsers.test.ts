// Fuzz: the passwd/shadow parsers and the byte-stream line splitter on hostile input —
// arbitrary strings and bytes, NUL, broken UTF-8, lone surrogates, huge and pathological
// lines. They never throw, always give a verdict (a short reason when they refuse), agree
// with themselves however the bytes are chunked, and stay linear in time.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import {
  classifyPasswdLine,
  classifyShadowLine,
  createLineSplitter,
  joinAccounts,
  parsePasswdLine,
  parsePasswdText,
  parseShadowLine,
  parseShadowText,
  splitTextLines,
} from "../../../src/domain/shadow-format";
import { MAX_LINE_BYTES } from "../../../src/domain/limits";
import { fuzzNote, fuzzParameters } from "../../helpers/fuzz";

const MAX_REASON_CHARS = 600;
const INT32 = { min: -2_147_483_648, max: 2_147_483_647 };

/** Field texts that sit near the parsers' edges, plus anything at all. */
const fieldText = fc.oneof(
  fc.constantFrom("", "x", "!", "*", "!!", "$6$salt$hash", "0", "-0", "+1", " 12", "\t7", "\v3", "007", "4294967295", "4294967296", "2147483648", "-1", "1e3", "0x10", "٣", "\u00a0", "\uFEFF", "\uFFFD", "\0", "\r", "+", "-", "#", " "),
  fc.stringMatching(/^[ \t+\-0-9]{0,12}$/),
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.string({ unit: "grapheme", maxLength: 24 }),
);
/** Lines shaped like passwd/shadow lines: 0..12 fields joined with ":". */
const fieldedLine = fc.array(fieldText, { minLength: 0, maxLength: 12 }).map((fields) => fields.join(":"));
const anyLine = fc.oneof(fieldedLine, fc.string({ unit: "binary", maxLength: 300 }), fc.string({ unit: "binary-ascii", maxLength: 300 }));
/** Text of several lines, "\n" and "\r\n" endings, comments and blank lines. */
const anyText = fc
  .array(fc.oneof(anyLine, fc.constantFrom("", "#comment", "   ", "\t# indented comment", "\r")), { maxLength: 30 })
  .chain((lines) => fc.constantFrom("\n", "\r\n").map((eol) => lines.join(eol)));

function assertVerdict(verdict: { ok: true } | { ok: false; reason: string }, line: string): void {
  if (verdict.ok) return;
  assert.equal(typeof verdict.reason, "string");
  assert.ok(verdict.reason.length > 0, `an empty reason for ${JSON.stringify(line.slice(0, 80))}`);
  assert.ok(verdict.reason.length <= MAX_REASON_CHARS, `a ${verdict.reason.length}-char reason for a ${line.length}-char line`);
}

describe("parseShadowLine on arbitrary text", () => {
  it("never throws, and gives entries with glibc's field ranges or a short reason", (t) => {
    t.diagnostic(fuzzNote(3000));
    fc.assert(
      fc.property(anyLine, (line) => {
        const verdict = parseShadowLine(line);
        assertVerdict(verdict, line);
        if (!verdict.ok) return;
        const { name, fields } = verdict.entry;
        assert.ok(!name.includes(":") && !name.includes("\n") && !name.includes("\0"));
        assert.ok(!fields.hash.includes(":") && !fields.hash.includes("\n"));
        for (const value of [fields.lastChange, fields.minDays, fields.maxDays, fields.warnDays, fields.inactiveDays, fields.expireDate]) {
          assert.ok(value === null || (Number.isInteger(value) && value >= INT32.min && value <= INT32.max), `field value ${value}`);
        }
      }),
      fuzzParameters(3000),
    );
  });

  it("gives the same verdict twice (no hidden state)", () => {
    fc.assert(
      fc.property(anyLine, (line) => assert.deepEqual(parseShadowLine(line), parseShadowLine(line))),
      fuzzParameters(500),
    );
  });
});

describe("parsePasswdLine on arbitrary text", () => {
  it("never throws, and gives 32-bit unsigned ids or a short reason", (t) => {
    t.diagnostic(fuzzNote(3000));
    fc.assert(
      fc.property(anyLine, (line) => {
        const verdict = parsePasswdLine(line);
        assertVerdict(verdict, line);
        if (!verdict.ok) return;
        const { name, uid, gid } = verdict.entry;
        assert.ok(!name.includes(":") && !name.includes("\n") && !name.includes("\0"));
        for (const id of [uid, gid]) assert.ok(Number.isInteger(id) && id >= 0 && id <= 4_294_967_295, `id ${id}`);
      }),
      fuzzParameters(3000),
    );
  });
});

describe("the import classifiers on arbitrary text", () => {
  it("classifyShadowLine and classifyPasswdLine skip, accept or give a short reason; never throw", () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        for (const verdict of [classifyShadowLine(line), classifyPasswdLine(line)]) {
          if ("skip" in verdict) assert.equal(verdict.skip, true);
          else assertVerdict(verdict, line);
        }
      }),
      fuzzParameters(3000),
    );
  });

  it("parse*Text accounts for every line exactly once (entry, problem or skipped), and joining never throws", () => {
    fc.assert(
      fc.property(anyText, anyText, (passwdText, shadowText) => {
        const passwd = parsePasswdText(passwdText);
        const shadow = parseShadowText(shadowText);
        for (const [parsed, text] of [[passwd, passwdText], [shadow, shadowText]] as const) {
          const lineCount = splitTextLines(text).length;
          const numbers = [...parsed.entries.map((e) => e.line), ...parsed.problems.map((p) => p.line)];
          assert.equal(new Set(numbers).size, numbers.length, "no line is reported twice");
          for (const n of numbers) assert.ok(n >= 1 && n <= lineCount, `line ${n} of ${lineCount}`);
          for (const problem of parsed.problems) assert.ok(problem.reason.length > 0 && problem.reason.length <= MAX_REASON_CHARS);
        }
        const joined = joinAccounts(passwd.entries, shadow.entries);
        assert.ok(joined.accounts.length <= passwd.entries.length);
      }),
      fuzzParameters(500),
    );
  });
});

/** Cut `bytes` at the given fractions into chunks (some empty). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * (bytes.length + 1))))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, Math.min(point, bytes.length)));
    start = Math.min(point, bytes.length);
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

function splitAll(chunks: Uint8Array[]): string[] {
  const splitter = createLineSplitter();
  return [...chunks.flatMap((c) => splitter.push(c)), ...splitter.end()];
}

/** Bytes with many newlines, broken UTF-8 (lone continuation bytes, cut sequences) and NULs. */
const hostileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc.array(fc.oneof(fc.constantFrom(0x0a, 0x00, 0x3a, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xfe, 0xef, 0xbb, 0xbf, 0x0d), fc.integer({ min: 0, max: 255 })), { maxLength: 400 }).map((a) => Uint8Array.from(a)),
);

describe("createLineSplitter on arbitrary bytes", () => {
  it("gives the same lines however the bytes are chunked, equal to decoding the whole and splitting at \\n", (t) => {
    t.diagnostic(fuzzNote(2000));
    fc.assert(
      fc.property(hostileBytes, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }), (bytes, cuts) => {
        const whole = splitAll([bytes]);
        assert.deepEqual(splitAll(chunk(bytes, cuts)), whole);
        const byteByByte = splitAll(Array.from(bytes, (b) => Uint8Array.of(b)));
        assert.deepEqual(byteByByte, whole);
        const decoded = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(bytes);
        assert.deepEqual(whole, splitTextLines(decoded));
      }),
      fuzzParameters(2000),
    );
  });

  it("cuts a huge line to just over the limit (memory stays bounded) and the classifiers refuse it", () => {
    const splitter = createLineSplitter();
    const piece = new Uint8Array(1024 * 1024).fill(0x61);
    const lines: string[] = [];
    for (let i = 0; i < 8; i++) lines.push(...splitter.push(piece));
    lines.push(...splitter.push(Uint8Array.of(0x0a, 0x62, 0x0a)), ...splitter.end());
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.length, MAX_LINE_BYTES + 1);
    assert.equal(lines[1], "b");
    for (const verdict of [classifyShadowLine(lines[0] ?? ""), classifyPasswdLine(lines[0] ?? "")]) {
      assert.ok("ok" in verdict && !verdict.ok);
      if ("ok" in verdict && !verdict.ok) assert.match(verdict.reason, /longer than|too long|65536/);
    }
  });
});

describe("pathological lines stay linear", () => {
  const MB = 1024 * 1024;
  const cases: { name: string; line: string }[] = [
    { name: "a megabyte of colons", line: ":".repeat(MB) },
    { name: "a megabyte of digits in one number field", line: `u:x:${"9".repeat(MB)}:0:0:::` },
    { name: "a megabyte of white space before a number", line: `u:x:${" ".repeat(MB)}1:0:0:::` },
    { name: "a megabyte of plus signs", line: `u:x:${"+".repeat(MB)}` },
    { name: "a megabyte name", line: `${"n".repeat(MB)}:x:1:1:::` },
    { name: "a megabyte of NULs", line: "\0".repeat(MB) },
    { name: "a megabyte of lone surrogates", line: "\ud800".repeat(MB) },
    { name: "a megabyte of a ':0' pattern", line: ":0".repeat(MB / 2) },
  ];
  for (const c of cases) {
    it(`${c.name}: every parser answers within 2 s with a verdict`, () => {
      const started = process.hrtime.bigint();
      const verdicts = [parseShadowLine(c.line), parsePasswdLine(c.line)];
      const classified = [classifyShadowLine(c.line), classifyPasswdLine(c.line)];
      parseShadowText(`${c.line}\n${c.line}`);
      parsePasswdText(`${c.line}\n${c.line}`);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
      for (const verdict of verdicts) assertVerdict(verdict, c.line);
      for (const verdict of classified) assert.ok("skip" in verdict || verdict.ok || verdict.reason.length <= MAX_REASON_CHARS);
    });
  }
});
