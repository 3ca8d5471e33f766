import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { py } from "../../src/judge/pyvalue.js";
import { lcbVersions } from "../../src/problems/formats/livecodebench.js";
import { ProblemLoadError, UnpickleError, loadProblems, unpickle } from "../../src/problems/index.js";

/**
 * Pickles a str the way CPython 3.8+ does at protocol 4/5: PROTO, a FRAME around small payloads
 * (large strings are written unframed), SHORT_BINUNICODE / BINUNICODE / BINUNICODE8, MEMOIZE, STOP.
 */
function pickleStr(s: string, proto = 5, forceUnicode8 = false): Buffer {
  const data = Buffer.from(s, "utf8");
  let header: Buffer;
  if (forceUnicode8 || data.length >= 2 ** 32) {
    header = Buffer.alloc(9);
    header[0] = 0x8d;
    header.writeBigUInt64LE(BigInt(data.length), 1);
  } else if (data.length < 256) {
    header = Buffer.from([0x8c, data.length]);
  } else {
    header = Buffer.alloc(5);
    header[0] = 0x58;
    header.writeUInt32LE(data.length, 1);
  }
  const proto2 = Buffer.from([0x80, proto]);
  const tail = Buffer.from([0x94, 0x2e]);
  if (data.length >= 64 * 1024) return Buffer.concat([proto2, header, data, tail]);
  const body = Buffer.concat([header, data, tail]);
  const frame = Buffer.alloc(9);
  frame[0] = 0x95;
  frame.writeBigUInt64LE(BigInt(body.length), 1);
  return Buffer.concat([proto2, frame, body]);
}

function lcbBlob(json: string): string {
  return deflateSync(pickleStr(json)).toString("base64");
}

describe("unpickler", () => {
  it("matches bytes CPython writes (pickle.dumps('abc', protocol=4))", () => {
    expect(pickleStr("abc", 4).toString("hex")).toBe("80049507000000000000008c03616263942e");
    expect(unpickle(Buffer.from("80049507000000000000008c03616263942e", "hex"))).toBe("abc");
  });

  it("decodes short, 4-byte-length, 8-byte-length and unframed large strings", () => {
    for (const s of ["", "héllo ✓", "é".repeat(300), "x".repeat(70_000)])
      expect(unpickle(pickleStr(s))).toBe(s);
    expect(unpickle(pickleStr("big header", 5, true))).toBe("big header");
  });

  it("decodes containers CPython writes (lists, tuples, dicts, ints, floats, memo)", () => {
    // pickle.dumps(['a', ('b', 1), {'k': 2.5}, None, True, 300, -70000, 2**70])
    const hex =
      "80049536000000000000005d94288c0161948c0162944b0186947d948c016b94474004000000000000734e884d2c014a90eefeff8a09000000000000000040652e";
    const v = unpickle(Buffer.from(hex, "hex"));
    expect(v).toEqual(["a", { tuple: ["b", 1] }, new Map([["k", 2.5]]), null, true, 300, -70000, 2n ** 70n]);
  });

  it("refuses truncated data and code-loading opcodes", () => {
    const p = pickleStr("hello");
    expect(() => unpickle(p.subarray(0, p.length - 4))).toThrow(UnpickleError);
    // GLOBAL 'os system' would import a callable: never.
    expect(() => unpickle(Buffer.from("80046300", "hex"))).toThrow(/unsupported pickle opcode 0x63/);
  });
});

const funcTests = [
  { input: "[2,7,11,15]\n9", output: "[0, 1]", testtype: "functional" },
  { input: "[3,2,4]\n6", output: "[1, 2]", testtype: "functional" },
];
const leetcode = {
  question_title: "two-sum",
  question_content: "Given an array of integers nums and an integer target, return indices...",
  platform: "leetcode",
  question_id: "1",
  contest_id: "weekly-contest-1",
  contest_date: "2023-05-06T00:00:00",
  starter_code: "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        ",
  difficulty: "easy",
  public_test_cases: JSON.stringify(funcTests.slice(0, 1)),
  private_test_cases: lcbBlob(
    JSON.stringify([
      ...funcTests.slice(1),
      { input: "[1.5,2]\n3.5", output: "[0, 1]", testtype: "functional" },
    ]),
  ),
  metadata: JSON.stringify({ func_name: "twoSum" }),
};
const atcoder = {
  question_title: "Sum",
  question_content: "Print A+B.",
  platform: "atcoder",
  question_id: "abc300_a",
  contest_id: "abc300",
  contest_date: "2023-04-29T00:00:00",
  starter_code: "",
  difficulty: "easy",
  public_test_cases: JSON.stringify([{ input: "1 2\n", output: "3\n", testtype: "stdin" }]),
  // Older rows carry private tests as plain JSON.
  private_test_cases: JSON.stringify([{ input: "5 5\n", output: "10\n", testtype: "stdin" }]),
  metadata: "{}",
};
const codeforces = {
  ...atcoder,
  platform: "codeforces",
  question_id: "1900A",
  contest_id: "1900",
  contest_date: "2024-11-20T00:00:00",
  difficulty: "hard",
  private_test_cases: lcbBlob(
    JSON.stringify([{ input: "x".repeat(80_000), output: "1\n", testtype: "stdin" }]),
  ),
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "codeloop-lcb-"));
  await writeFile(join(dir, "test.jsonl"), `${JSON.stringify(leetcode)}\n${JSON.stringify(atcoder)}\n`);
  await writeFile(join(dir, "test2.jsonl"), `${JSON.stringify(codeforces)}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("LiveCodeBench code_generation_lite (generated fixture)", () => {
  it("decodes base64/zlib/pickle private tests and functional tests with a class entry point", async () => {
    const ps = await loadProblems(dir);
    expect(ps.map((p) => p.id)).toEqual(["1", "abc300_a", "1900A"]);
    const p = ps[0]!;
    expect(p.judge).toMatchObject({ kind: "function", entryPoint: "Solution.twoSum", looseSequences: true });
    expect(p.tests.public[0]).toEqual({
      kind: "function",
      name: "public-0",
      args: [py.list([2, 7, 11, 15].map(py.int)), py.int(9)],
      expected: py.list([py.int(0), py.int(1)]),
    });
    expect(p.tests.private).toHaveLength(2);
    expect(p.tests.private[1]).toMatchObject({ args: [py.list([py.float(1.5), py.int(2)]), py.float(3.5)] });
    expect(p.metadata).toMatchObject({
      difficulty: "easy",
      source: "leetcode",
      contestDate: "2023-05-06T00:00:00",
    });
    const cf = ps[2]!;
    expect(cf.tests.private[0]).toMatchObject({ kind: "stdio", output: "1\n" });
    expect(cf.metadata.url).toBe("https://codeforces.com/problemset/problem/1900/A");
    expect(ps[1]!.metadata.url).toBe("https://atcoder.jp/contests/abc300/tasks/abc300_a");
  });

  it("selects release versions and contest-date windows", async () => {
    expect((await loadProblems(dir, {}, { release: "release_v1" })).map((p) => p.id)).toEqual([
      "1",
      "abc300_a",
    ]);
    expect((await loadProblems(dir, {}, { release: "v2" })).map((p) => p.id)).toEqual(["1900A"]);
    await expect(loadProblems(dir, {}, { release: "release_v3" })).rejects.toThrow(/needs test3\.jsonl/);
    const window = await loadProblems(dir, { contestDateFrom: "2023-05-01", contestDateTo: "2023-12-31" });
    expect(window.map((p) => p.id)).toEqual(["1"]);
    expect(lcbVersions("v2_v4", [1, 2, 3, 4, 5])).toEqual([2, 3, 4]);
    expect(() => lcbVersions("latest-ish", [1])).toThrow(/unknown LiveCodeBench release/);
  });

  it("names file, line and field of a malformed line and of an undecodable blob", async () => {
    const bad = await mkdtemp(join(tmpdir(), "codeloop-lcb-bad-"));
    try {
      await writeFile(
        join(bad, "test.jsonl"),
        `${JSON.stringify(atcoder)}\n{"question_id": "2", "platform": \n`,
      );
      const err = await loadProblems(bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProblemLoadError);
      expect((err as Error).message).toMatch(new RegExp(`${join(bad, "test.jsonl")}:2: malformed JSON`));
      await writeFile(
        join(bad, "test.jsonl"),
        `${JSON.stringify({ ...leetcode, private_test_cases: "eJzLSM3JyVcozy/KSQEAGgQEXQ==" })}\n`,
      );
      await expect(loadProblems(bad)).rejects.toThrow(
        /test\.jsonl:1 field private_test_cases: cannot decode base64\/zlib\/pickle/,
      );
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});
