// Owns HPACK (RFC 7541) for the minimal HTTP/2 client: a complete decoder (static and dynamic
// tables, Huffman) for the server's header blocks, and literal-only encoding for requests
// (no Huffman, no indexing: the encoder never needs a table). Outcomes as values.

/** RFC 7541 Appendix A. Index 1 is the first entry. */
const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** Static table indexes the request encoder uses. */
export const STATIC_INDEX = { authority: 1, methodPost: 3, path: 4, schemeHttp: 6, contentType: 31 } as const;

/**
 * RFC 7541 Appendix B: the Huffman code length of each symbol 0..255 and of EOS (256). The
 * code is canonical (codes assigned in order of length, then symbol), so lengths define it.
 */
// prettier-ignore
const HUFFMAN_CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

const EOS = 256;
const MAX_CODE_LENGTH = 30;

/** Canonical decoding tables: per length, the first code and where its symbols start. */
interface HuffmanTables {
  firstCode: number[];
  count: number[];
  offset: number[];
  symbols: number[];
}

let huffmanTables: HuffmanTables | null = null;

function buildHuffmanTables(): HuffmanTables {
  // Symbols in code order: by length, then by value (a bucket pass; no sort comparator to run).
  const buckets: number[][] = Array.from({ length: MAX_CODE_LENGTH + 1 }, () => []);
  HUFFMAN_CODE_LENGTHS.forEach((length, symbol) => buckets[length]!.push(symbol));
  const symbols: number[] = [];
  const count = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
  const firstCode = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
  const offset = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
  let code = 0;
  for (let length = 1; length <= MAX_CODE_LENGTH; length++) {
    const bucket = buckets[length]!;
    firstCode[length] = code;
    offset[length] = symbols.length;
    count[length] = bucket.length;
    symbols.push(...bucket);
    code = (code + bucket.length) * 2;
  }
  return { firstCode, count, offset, symbols };
}

/** The Huffman code of one symbol (for tests and the encoder of test fixtures). */
export function huffmanCode(symbol: number): { code: number; length: number } {
  const tables = (huffmanTables ??= buildHuffmanTables());
  const length = HUFFMAN_CODE_LENGTHS[symbol]!;
  const rank = tables.symbols.indexOf(symbol) - tables.offset[length]!;
  return { code: tables.firstCode[length]! + rank, length };
}

/** Decode a Huffman-coded string (RFC 7541 5.2): null when malformed (EOS, bad padding). */
export function decodeHuffman(bytes: Uint8Array): Buffer | null {
  const tables = (huffmanTables ??= buildHuffmanTables());
  const out: number[] = [];
  let code = 0;
  let length = 0;
  let allOnes = true;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      const b = (byte >> bit) & 1;
      code = code * 2 + b;
      length += 1;
      allOnes &&= b === 1;
      const rank = code - tables.firstCode[length]!;
      if (rank >= 0 && rank < tables.count[length]!) {
        const symbol = tables.symbols[tables.offset[length]! + rank]!;
        if (symbol === EOS) return null;
        out.push(symbol);
        code = 0;
        length = 0;
        allOnes = true;
      } else if (length >= MAX_CODE_LENGTH) {
        return null;
      }
    }
  }
  // Padding: at most 7 bits, all ones (the start of EOS).
  if (length > 7 || !allOnes) return null;
  return Buffer.from(out);
}

export type HeaderList = Array<[string, string]>;
export type HpackOutcome = { ok: true; headers: HeaderList } | { ok: false; reason: string };

/** A header block decoder; its dynamic table lives as long as the connection. */
export interface HpackDecoder {
  decode(block: Uint8Array): HpackOutcome;
}

/** Thrown inside decode() only, turned into an outcome at its end. */
class HpackError extends Error {}

/** The decoder of one connection, whose SETTINGS_HEADER_TABLE_SIZE is `maxTableSize`. */
export function createHpackDecoder(maxTableSize = 4096): HpackDecoder {
  // Newest first, as HPACK indexes them (62 = newest).
  const dynamic: Array<[string, string]> = [];
  let tableSize = 0;
  let tableLimit = maxTableSize;

  const evict = (): void => {
    while (tableSize > tableLimit) {
      const [name, value] = dynamic.pop()!;
      tableSize -= Buffer.byteLength(name) + Buffer.byteLength(value) + 32;
    }
  };
  const lookup = (index: number): readonly [string, string] => {
    if (index === 0) throw new HpackError("header index 0");
    const entry = index <= STATIC_TABLE.length ? STATIC_TABLE[index - 1] : dynamic[index - STATIC_TABLE.length - 1];
    if (entry === undefined) throw new HpackError(`header index ${index} is not in the table`);
    return entry;
  };

  return {
    decode(block: Uint8Array): HpackOutcome {
      let pos = 0;
      const readInteger = (prefixBits: number): number => {
        const mask = (1 << prefixBits) - 1;
        let value = block[pos++]! & mask;
        if (value < mask) return value;
        let shift = 0;
        for (;;) {
          if (pos >= block.length) throw new HpackError("integer runs past the block");
          const byte = block[pos++]!;
          value += (byte & 0x7f) * 2 ** shift;
          shift += 7;
          if ((byte & 0x80) === 0) break;
          if (shift > 28) throw new HpackError("integer too large");
        }
        return value;
      };
      const readString = (): string => {
        if (pos >= block.length) throw new HpackError("string runs past the block");
        const huffman = (block[pos]! & 0x80) !== 0;
        const length = readInteger(7);
        if (pos + length > block.length) throw new HpackError("string runs past the block");
        const raw = block.subarray(pos, pos + length);
        pos += length;
        if (!huffman) return Buffer.from(raw).toString("latin1");
        const decoded = decodeHuffman(raw);
        if (decoded === null) throw new HpackError("malformed Huffman string");
        return decoded.toString("latin1");
      };
      const headers: HeaderList = [];
      try {
        while (pos < block.length) {
          const first = block[pos]!;
          if (first & 0x80) {
            const [name, value] = lookup(readInteger(7));
            headers.push([name, value]);
          } else if (first & 0x40) {
            const nameIndex = readInteger(6);
            const name = nameIndex === 0 ? readString() : lookup(nameIndex)[0];
            const value = readString();
            headers.push([name, value]);
            dynamic.unshift([name, value]);
            tableSize += Buffer.byteLength(name) + Buffer.byteLength(value) + 32;
            evict();
          } else if (first & 0x20) {
            const size = readInteger(5);
            if (size > maxTableSize) throw new HpackError(`table size update ${size} above ${maxTableSize}`);
            tableLimit = size;
            evict();
          } else {
            // 0001xxxx never indexed, 0000xxxx without indexing: both 4-bit name indexes.
            const nameIndex = readInteger(4);
            const name = nameIndex === 0 ? readString() : lookup(nameIndex)[0];
            headers.push([name, readString()]);
          }
        }
      } catch (error) {
        if (error instanceof HpackError) return { ok: false, reason: error.message };
        throw error;
      }
      return { ok: true, headers };
    },
  };
}

function encodeInteger(value: number, prefixBits: number, firstByteFlags: number): number[] {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) return [firstByteFlags | value];
  const out = [firstByteFlags | mask];
  let rest = value - mask;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

function encodeString(text: string): Buffer {
  const bytes = Buffer.from(text, "latin1");
  return Buffer.concat([Buffer.from(encodeInteger(bytes.length, 7, 0)), bytes]);
}

/** An indexed header field (RFC 7541 6.1) from the static table. */
export function encodeIndexed(index: number): Buffer {
  return Buffer.from(encodeInteger(index, 7, 0x80));
}

/** A literal header field without indexing (6.2.2), its name a static index or a literal. */
export function encodeLiteral(name: number | string, value: string): Buffer {
  const head = typeof name === "number" ? Buffer.from(encodeInteger(name, 4, 0)) : Buffer.concat([Buffer.from([0]), encodeString(name)]);
  return Buffer.concat([head, encodeString(value)]);
}
