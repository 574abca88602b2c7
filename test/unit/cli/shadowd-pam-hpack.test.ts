// The shim's HPACK (src/rpc/hpack.ts): RFC 7541's own examples (Appendix C: static and
// dynamic table, Huffman), the Huffman code's shape, and malformed blocks refused as values.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { createHpackDecoder, decodeHuffman, encodeIndexed, encodeLiteral, huffmanCode, type HeaderList } from "../../../src/rpc/hpack";

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ""), "hex");
}

describe("Huffman decoding", () => {
  const vectors: Array<[string, string]> = [
    ["f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com"],
    ["a8eb 1064 9cbf", "no-cache"],
    ["25a8 49e9 5ba9 7d7f", "custom-key"],
    ["25a8 49e9 5bb8 e8b4 bf", "custom-value"],
  ];
  for (const [encoded, text] of vectors) {
    it(`decodes RFC 7541's "${text}"`, () => assert.equal(decodeHuffman(hex(encoded))?.toString("latin1"), text));
  }

  it("round-trips every byte value through the canonical code", () => {
    // Encode 0..255 with the code the decoder derives, pad with ones, decode.
    const symbols = Array.from({ length: 256 }, (_, i) => i);
    let bits = "";
    for (const symbol of symbols) {
      const { code, length } = huffmanCode(symbol);
      bits += code.toString(2).padStart(length, "0");
    }
    bits += "1".repeat((8 - (bits.length % 8)) % 8);
    const bytes = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
    assert.deepEqual(decodeHuffman(bytes), Buffer.from(symbols));
  });

  it("is a complete prefix code (Kraft sum 1, EOS 30 ones)", () => {
    let kraft = 0;
    for (let symbol = 0; symbol <= 256; symbol++) kraft += 2 ** -huffmanCode(symbol).length;
    assert.equal(kraft, 1);
    assert.deepEqual(huffmanCode(256), { code: 2 ** 30 - 1, length: 30 });
    assert.deepEqual(huffmanCode(0x30), { code: 0, length: 5 }, "'0' is the first 5-bit code");
  });

  const refusals: Array<[string, string]> = [
    ["padding longer than 7 bits", "f1e3 c2e5 f23a 6ba0 ab90 f4ff ff"],
    ["padding that is not all ones", "f1e3 c2e5 f23a 6ba0 ab90 f4fe"],
    ["an EOS symbol inside the string", "ffff fffc"],
  ];
  for (const [name, encoded] of refusals) {
    it(`refuses ${name}`, () => assert.equal(decodeHuffman(hex(encoded)), null));
  }
});

describe("header blocks", () => {
  it("decodes RFC 7541 C.3 (three requests, no Huffman) with one decoder: the dynamic table carries over", () => {
    const decoder = createHpackDecoder();
    const blocks: Array<[string, HeaderList]> = [
      ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"]]],
      ["8286 84be 5808 6e6f 2d63 6163 6865", [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"], ["cache-control", "no-cache"]]],
      [
        "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
        [[":method", "GET"], [":scheme", "https"], [":path", "/index.html"], [":authority", "www.example.com"], ["custom-key", "custom-value"]],
      ],
    ];
    for (const [encoded, headers] of blocks) assert.deepEqual(decoder.decode(hex(encoded)), { ok: true, headers });
  });

  it("decodes RFC 7541 C.4 (the same requests, Huffman-coded)", () => {
    const decoder = createHpackDecoder();
    const blocks: Array<[string, HeaderList]> = [
      ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"]]],
      ["8286 84be 5886 a8eb 1064 9cbf", [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"], ["cache-control", "no-cache"]]],
      ["8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf", [[":method", "GET"], [":scheme", "https"], [":path", "/index.html"], [":authority", "www.example.com"], ["custom-key", "custom-value"]]],
    ];
    for (const [encoded, headers] of blocks) assert.deepEqual(decoder.decode(hex(encoded)), { ok: true, headers });
  });

  it("evicts the oldest entries past the table size, and honours a size update", () => {
    const decoder = createHpackDecoder(64);
    // Two literal-with-indexing fields of 32 + 2 bytes each: the second evicts the first.
    assert.deepEqual(decoder.decode(hex("4001 6101 31 4001 6201 32 be")), { ok: true, headers: [["a", "1"], ["b", "2"], ["b", "2"]] });
    assert.deepEqual(decoder.decode(hex("bf")), { ok: false, reason: "header index 63 is not in the table" });
    // A size update to 0 empties the table.
    assert.deepEqual(decoder.decode(hex("20 be")), { ok: false, reason: "header index 62 is not in the table" });
  });

  it("decodes our own request encoding (literal, never indexed nor Huffman)", () => {
    const block = Buffer.concat([encodeIndexed(3), encodeIndexed(6), encodeLiteral(4, "/shadowd.v1.Auth/Authenticate"), encodeLiteral("te", "trailers"), encodeLiteral("x-long", "v".repeat(300))]);
    assert.deepEqual(createHpackDecoder().decode(block), {
      ok: true,
      headers: [[":method", "POST"], [":scheme", "http"], [":path", "/shadowd.v1.Auth/Authenticate"], ["te", "trailers"], ["x-long", "v".repeat(300)]],
    });
  });

  const malformed: Array<[string, string, RegExp]> = [
    ["index 0", "80", /header index 0/],
    ["an index past both tables", "ff00", /header index 127 is not in the table/],
    ["a string longer than the block", "0003 6162", /string runs past the block/],
    ["an integer cut short", "ff", /integer runs past the block/],
    ["a size update above the setting", "3fe9 26", /table size update 5000 above 4096/],
    ["a malformed Huffman string", "0081 00", /malformed Huffman string/],
  ];
  for (const [name, encoded, reason] of malformed) {
    it(`refuses ${name}`, () => {
      const outcome = createHpackDecoder().decode(hex(encoded));
      assert.equal(outcome.ok, false);
      if (!outcome.ok) assert.match(outcome.reason, reason);
    });
  }
});
