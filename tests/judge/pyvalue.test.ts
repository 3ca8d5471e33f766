import { describe, expect, it } from "vitest";
import { type PyValue, py, pyEqual, pyFromJs, pyFromJsonText, pyRepr } from "../../src/judge/pyvalue.js";

describe("PyValue", () => {
  it("keeps int/float distinctions and big integers from JSON text", () => {
    expect(pyFromJsonText("[1, 2.0, 1e3, 123456789012345678901234567890]")).toEqual([
      "l",
      [
        ["i", "1"],
        ["f", 2],
        ["f", 1000],
        ["i", "123456789012345678901234567890"],
      ],
    ]);
    expect(pyFromJsonText('{"a": [true, null, "x\\"y"]}')).toEqual([
      "d",
      [
        [
          ["s", "a"],
          ["l", [["b", true], ["N"], ["s", 'x"y']]],
        ],
      ],
    ]);
    expect(pyFromJsonText("NaN")).toEqual(["f", "nan"]);
    expect(() => pyFromJsonText("[1,")).toThrow(/invalid JSON/);
    expect(() => pyFromJsonText("[1] x")).toThrow(/trailing/);
  });

  it("renders Python reprs", () => {
    expect(pyRepr(pyFromJs([1, 2.5, "a'b", null, true]))).toBe(`[1, 2.5, "a'b", None, True]`);
    expect(pyRepr(py.tuple([py.int(1)]))).toBe("(1,)");
    expect(pyRepr(py.float(3))).toBe("3.0");
    expect(pyRepr(py.set([]))).toBe("set()");
  });

  it("is type-strict", () => {
    expect(pyEqual(py.int(1), py.float(1))).toBe(false);
    expect(pyEqual(py.int(1), py.bool(true))).toBe(false);
    expect(pyEqual(py.list([py.int(1)]), py.tuple([py.int(1)]))).toBe(false);
    expect(pyEqual(py.str("1"), py.int(1))).toBe(false);
    expect(pyEqual(py.int("123456789012345678901"), py.int("123456789012345678902"))).toBe(false);
  });

  it("never accepts an opaque object, whatever its __eq__ would say", () => {
    const liar: PyValue = ["o", "AlwaysEqual", "<__main__.AlwaysEqual object at 0x7f>"];
    expect(pyEqual(py.int(3), liar)).toBe(false);
    expect(pyEqual(liar, liar)).toBe(false);
  });

  it("applies float tolerance recursively", () => {
    const want = py.list([py.float(0.1), py.dict([[py.str("k"), py.tuple([py.float(2)])]])]);
    const got = py.list([py.float(0.1000001), py.dict([[py.str("k"), py.tuple([py.float(2.0000001)])]])]);
    expect(pyEqual(want, got)).toBe(false);
    expect(pyEqual(want, got, { absTol: 1e-6 })).toBe(true);
    expect(pyEqual(py.float(Number.NaN), py.float(Number.NaN))).toBe(true);
  });

  it("compares sets and dicts without regard to order", () => {
    expect(pyEqual(py.set([py.int(1), py.int(2)]), py.set([py.int(2), py.int(1)]))).toBe(true);
    expect(pyEqual(py.set([py.int(1), py.int(2)]), py.set([py.int(2), py.int(3)]))).toBe(false);
    expect(pyEqual(py.set([py.float(1.5)]), py.set([py.float(1.50000001)]), { absTol: 1e-6 })).toBe(true);
    const a = py.dict([
      [py.int(1), py.str("a")],
      [py.int(2), py.str("b")],
    ]);
    const b = py.dict([
      [py.int(2), py.str("b")],
      [py.int(1), py.str("a")],
    ]);
    expect(pyEqual(a, b)).toBe(true);
    expect(pyEqual(a, py.dict([[py.int(1), py.str("a")]]))).toBe(false);
  });

  it("loose mode (expected from JSON) accepts tuples for lists and ints for floats", () => {
    expect(pyEqual(py.list([py.int(1)]), py.tuple([py.int(1)]), { loose: true })).toBe(true);
    expect(pyEqual(py.int(2), py.float(2), { loose: true })).toBe(true);
    expect(pyEqual(py.int(2), py.float(2.5), { loose: true })).toBe(false);
  });
  it("carries complex numbers and value types of the standard library", () => {
    expect(pyRepr(["c", 1, 2])).toBe("(1+2j)");
    expect(pyRepr(["c", 1.5, -0.5])).toBe("(1.5-0.5j)");
    expect(pyRepr(["c", 0, 2])).toBe("2j");
    expect(pyEqual(["c", 1, 2], ["c", 1, 2.0000001], { absTol: 1e-6 })).toBe(true);
    expect(pyEqual(["c", 1, 2], ["c", 1, -2])).toBe(false);
    expect(pyEqual(["c", 1, 0], py.float(1))).toBe(false);
    const counter: PyValue = ["T", "collections.Counter", py.dict([[py.str("a"), py.int(2)]])];
    expect(pyRepr(counter)).toBe("Counter({'a': 2})");
    expect(pyEqual(counter, ["T", "collections.Counter", py.dict([[py.str("a"), py.int(2)]])])).toBe(true);
    expect(pyEqual(counter, py.dict([[py.str("a"), py.int(2)]]))).toBe(false);
    expect(pyEqual(counter, ["T", "collections.OrderedDict", py.dict([[py.str("a"), py.int(2)]])])).toBe(
      false,
    );
    const match: PyValue = ["T", "re.Match", py.tuple([py.tuple([py.int(0), py.int(3)]), py.str("abc")])];
    expect(pyRepr(match)).toBe("<re.Match object; span=(0, 3), match='abc'>");
  });
});
