import { describe, expect, it } from "vitest";
import { parseStatus, pyValueProblem, returnedValue } from "../../src/sandbox/records.js";

/** The Node-side reading of what a program wrote into its status channel (untrusted). */
describe("status records", () => {
  it("expands packed lists: JSON scalars, IEEE doubles and 64-bit ints", () => {
    const doubles = Buffer.alloc(24);
    doubles.writeDoubleLE(1.5, 0);
    doubles.writeDoubleLE(Number.NaN, 8);
    doubles.writeDoubleLE(Number.NEGATIVE_INFINITY, 16);
    const ints = Buffer.alloc(16);
    ints.writeBigInt64LE(-(2n ** 63n), 0);
    ints.writeBigInt64LE(42n, 8);
    const v = [
      "l",
      [
        ["J", "t", '[1,2.0,"x",null,true,NaN,1e+16]'],
        ["Jd", "l", doubles.toString("base64")],
        ["Jq", "l", ints.toString("base64")],
      ],
    ];
    expect(returnedValue({ k: "ret", v })).toEqual({
      value: [
        "l",
        [
          ["t", [["i", "1"], ["f", 2], ["s", "x"], ["N"], ["b", true], ["f", "nan"], ["f", 1e16]]],
          [
            "l",
            [
              ["f", 1.5],
              ["f", "nan"],
              ["f", "-inf"],
            ],
          ],
          [
            "l",
            [
              ["i", "-9223372036854775808"],
              ["i", "42"],
            ],
          ],
        ],
      ],
    });
  });

  it("refuses packed lists that hold anything but scalars, or broken bytes", () => {
    for (const bad of [
      ["J", "l", "[[1,2]]"],
      ["J", "l", '{"a":1}'],
      ["J", "x", "[1]"],
      ["J", "l", "[1,"],
      ["Jd", "l", Buffer.alloc(7).toString("base64")],
      ["Jq", "l", 5],
    ]) {
      expect(returnedValue({ k: "ret", v: bad }).problem, JSON.stringify(bad)).toBeDefined();
    }
  });

  it("accepts wide ints in hexadecimal and nothing else that is not digits", () => {
    expect(pyValueProblem(["i", "-0x1f"])).toBeUndefined();
    expect(pyValueProblem(["i", "123"])).toBeUndefined();
    for (const bad of ["0x", "1e5", "0xZZ", " 1", "+1", ""])
      expect(pyValueProblem(["i", bad]), bad).toBeDefined();
  });

  it("splits lines into records and flags the rest, never throwing", () => {
    const raw = Buffer.from(
      '{"k":"exc","type":"ValueError"}\n\xff\xfe\n[1]\n{"v":1}\n{"k":"ret","v":["N"]}\n',
      "latin1",
    );
    const s = parseStatus(raw);
    expect(s.records.map((r) => r.k)).toEqual(["exc", "ret"]);
    expect(s.garbled).toBeDefined();
    expect(parseStatus(Buffer.from(`{"k":"ret","v":${"[".repeat(200000)}`)).garbled).toBeDefined();
  });

  it("checks 100,000-deep values without recursion", () => {
    let v: unknown = ["N"];
    for (let i = 0; i < 100_000; i++) v = ["l", [v]];
    expect(pyValueProblem(v)).toBe("value nested too deeply");
  });
});
