// Output comparison speed on 60 MB outputs, the size a program can print well inside an output
// limit: one huge token (equal, and unequal in its last byte), ~30 M small integers, floats under
// the no-checker tolerance (byte-equal, and all differing within tolerance), case-insensitive
// words, and a 60-million-digit integer. Outputs are Buffers, as the sandbox returns them.
// Prints one JSON line per measurement (the median of 3 runs); the target is under 2 s each.
import { performance } from "node:perf_hooks";
import { DEFAULT_COMPARE, compareOutput } from "../dist/judge/index.js";
import { STDIO_COMPARE_NO_CHECKER } from "../dist/problems/index.js";

const SIZE = 60_000_000;
const RUNS = 3;

/** SIZE bytes of `unit` repeated, the last byte a newline. */
function repeated(unit) {
  const b = Buffer.alloc(SIZE, unit);
  b[SIZE - 1] = 0x0a;
  return b;
}

/** A copy of b with one byte changed. */
function withByte(b, index, byte) {
  const c = Buffer.from(b);
  c[index] = byte;
  return c;
}

function measure(bench, expected, got, options, wantOk) {
  const times = [];
  let result;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    result = compareOutput(expected, got, options);
    times.push(performance.now() - start);
  }
  if (result.ok !== wantOk) throw new Error(`${bench}: expected ok=${wantOk}, got ${JSON.stringify(result)}`);
  const ms = times.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
  console.log(
    JSON.stringify({
      bench: `compare-${bench}`,
      bytes: got.length,
      ms: Math.round(ms * 10) / 10,
      "MB/s": Math.round(got.length / 1e6 / (ms / 1000)),
      ok: result.ok,
      ...(result.message ? { message: result.message.slice(0, 120) } : {}),
    }),
  );
}

const token = repeated("abcdefghij");
measure("single-token-equal", token, Buffer.from(token), STDIO_COMPARE_NO_CHECKER, true);
measure("single-token-unequal", token, withByte(token, SIZE - 2, 0x41), STDIO_COMPARE_NO_CHECKER, false);

// "1 2 3 ... 9 0 1 ..." with a newline every 1000 tokens: 30 M single-digit tokens.
const ints = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i += 2) {
  ints[i] = 0x30 + ((i / 2) % 10);
  ints[i + 1] = (i / 2) % 1000 === 999 ? 0x0a : 0x20;
}
measure("small-ints-equal", ints, Buffer.from(ints), STDIO_COMPARE_NO_CHECKER, true);

// Floats like "0.1234560", the answer and the output printed alike, then an output whose every
// token differs from the answer in its 7th decimal (within 1e-6): each one parsed by Number().
const floats = Buffer.alloc(SIZE, 0x20);
const floatsClose = Buffer.alloc(SIZE, 0x20);
for (let i = 0, k = 0; i + 10 <= SIZE; i += 10, k++) {
  const text = `0.${String((k * 7919) % 1_000_000).padStart(6, "0")}`;
  floats.write(`${text}0`, i, "latin1");
  floatsClose.write(`${text}4`, i, "latin1");
  if (k % 100 === 99) floats[i + 9] = floatsClose[i + 9] = 0x0a;
}
measure("floats-tolerance-equal", floats, Buffer.from(floats), STDIO_COMPARE_NO_CHECKER, true);
measure("floats-tolerance-close", floats, floatsClose, STDIO_COMPARE_NO_CHECKER, true);

// "YES NO YES ..." against "yes no yes ...": every token decoded and lower-cased.
const words = repeated("YES NO ");
measure(
  "words-case-insensitive",
  words,
  Buffer.from(words.toString("latin1").toLowerCase(), "latin1"),
  STDIO_COMPARE_NO_CHECKER,
  true,
);

const digits = repeated("1234567890");
measure("big-integer-equal", digits, Buffer.from(digits), DEFAULT_COMPARE, true);
measure("big-integer-unequal", digits, withByte(digits, SIZE - 2, 0x31), DEFAULT_COMPARE, false);

// The judge today passes the output as a string: the cost of encoding it once more.
measure(
  "small-ints-equal-strings",
  ints.toString("latin1"),
  ints.toString("latin1"),
  STDIO_COMPARE_NO_CHECKER,
  true,
);
