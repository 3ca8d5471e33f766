import { describe, expect, it } from "vitest";
import { applyBuiltin, checkAssertCall, pyEquals, pyTruthy } from "../../src/judge/pycompare.js";
import { type PyValue, py } from "../../src/judge/pyvalue.js";
import type { AssertCheck } from "../../src/judge/types.js";

const i = (v: number | bigint | string) => py.int(v);
const f = (v: number) => py.float(v);
const s = (v: string) => py.str(v);
const l = (...xs: PyValue[]): PyValue => ["l", xs];
const t = (...xs: PyValue[]): PyValue => ["t", xs];
const set = (...xs: PyValue[]): PyValue => ["S", xs];
const frozen = (...xs: PyValue[]): PyValue => ["F", xs];
const dict = (...es: [PyValue, PyValue][]): PyValue => ["d", es];
const T = (type: string, inner: PyValue): PyValue => ["T", type, inner];
const bytes = (v: string): PyValue => ["y", Buffer.from(v, "latin1").toString("base64")];
const liar: PyValue = ["o", "AlwaysEqual", "<__main__.AlwaysEqual object at 0x7f00>"];

const eq = (expected: PyValue, wrap?: "set" | "frozenset" | "tuple" | "list"): AssertCheck =>
  wrap ? { op: "eq", expected, wrap } : { op: "eq", expected };
const ok = (check: AssertCheck, got: PyValue) => checkAssertCall(check, got).ok;

describe("Python == on PyValues", () => {
  it("compares numbers by exact value across bool, int, float and complex", () => {
    expect(pyEquals(i(1), f(1))).toBe(true);
    expect(pyEquals(f(1), py.bool(true))).toBe(true);
    expect(pyEquals(i(0), py.bool(false))).toBe(true);
    expect(pyEquals(["c", 1, 0], i(1))).toBe(true);
    expect(pyEquals(["c", 1, 1e-300], i(1))).toBe(false);
    expect(pyEquals(i(1), s("1"))).toBe(false);
    // 2**53 + 1 has no float; Python compares ints with floats exactly.
    expect(pyEquals(i(2n ** 53n + 1n), f(9007199254740992))).toBe(false);
    expect(pyEquals(i(2n ** 53n), f(9007199254740992))).toBe(true);
    expect(pyEquals(i(10n ** 400n), f(1e308))).toBe(false);
    expect(pyEquals(f(0.5), i(0))).toBe(false);
    expect(pyEquals(f(-0), f(0))).toBe(true);
    expect(pyEquals(f(Number.NaN), f(Number.NaN))).toBe(false);
    expect(pyEquals(f(Number.POSITIVE_INFINITY), f(Number.POSITIVE_INFINITY))).toBe(true);
    expect(pyEquals(f(Number.POSITIVE_INFINITY), i(10n ** 400n))).toBe(false);
  });

  it("keeps str, bytes, None and sequence types apart", () => {
    expect(pyEquals(s("ab"), bytes("ab"))).toBe(false);
    expect(pyEquals(bytes("ab"), bytes("ab"))).toBe(true);
    expect(pyEquals(py.none(), py.none())).toBe(true);
    expect(pyEquals(py.none(), py.bool(false))).toBe(false);
    expect(pyEquals(l(i(1)), t(i(1)))).toBe(false);
    expect(pyEquals(l(i(1), f(2)), l(py.bool(true), i(2)))).toBe(true);
    expect(pyEquals(l(i(1)), l(i(1), i(2)))).toBe(false);
  });

  it("compares sets by members, as hashing does: {1, 2.0} == {1.0, 2}", () => {
    expect(pyEquals(set(i(1), f(2)), set(f(1), i(2)))).toBe(true);
    expect(pyEquals(set(i(1), i(2)), frozen(i(2), i(1)))).toBe(true);
    expect(pyEquals(set(i(1)), set(i(1), i(2)))).toBe(false);
    expect(pyEquals(set(t(i(1), s("a"))), set(t(py.bool(true), s("a"))))).toBe(true);
    expect(pyEquals(set(f(Number.NaN)), set(f(Number.NaN)))).toBe(false);
    expect(pyEquals(set(frozen(i(1))), set(frozen(f(1))))).toBe(true);
  });

  it("compares dicts by key and value, with 1, 1.0 and True the same key", () => {
    expect(pyEquals(dict([i(1), s("a")]), dict([f(1), s("a")]))).toBe(true);
    expect(pyEquals(dict([py.bool(true), i(2)], [s("k"), l()]), dict([s("k"), l()], [i(1), f(2)]))).toBe(
      true,
    );
    expect(pyEquals(dict([i(1), i(2)]), dict([i(1), i(3)]))).toBe(false);
    expect(pyEquals(dict([i(1), i(2)]), dict([i(2), i(2)]))).toBe(false);
    expect(pyEquals(dict([i(1), i(2)]), dict([i(1), i(2)], [i(2), i(2)]))).toBe(false);
  });

  it("treats Counter, defaultdict and OrderedDict as dicts, and deque and re.Match as themselves", () => {
    const d = dict([s("a"), i(2)], [s("b"), i(1)]);
    const rev = dict([s("b"), i(1)], [s("a"), i(2)]);
    expect(pyEquals(T("collections.Counter", d), rev)).toBe(true);
    expect(pyEquals(rev, T("collections.defaultdict", d))).toBe(true);
    expect(pyEquals(T("collections.OrderedDict", d), rev)).toBe(true);
    // Two OrderedDicts must also agree on order.
    expect(pyEquals(T("collections.OrderedDict", d), T("collections.OrderedDict", rev))).toBe(false);
    expect(pyEquals(T("collections.OrderedDict", d), T("collections.OrderedDict", d))).toBe(true);
    expect(pyEquals(T("collections.deque", l(i(1))), l(i(1)))).toBe(false);
    expect(pyEquals(T("collections.deque", l(i(1))), T("collections.deque", l(f(1))))).toBe(true);
    const match = T("re.Match", t(t(i(0), i(1)), s("a")));
    expect(pyEquals(match, match)).toBe(false);
    expect(pyEquals(match, t(t(i(0), i(1)), s("a")))).toBe(false);
  });
});

describe("checkAssertCall", () => {
  it("eq and ne, with a model-readable message", () => {
    expect(checkAssertCall(eq(i(4)), i(4))).toEqual({ ok: true });
    expect(checkAssertCall(eq(i(4)), i(3))).toEqual({ ok: false, message: "returned 3, expected 4" });
    expect(ok(eq(py.bool(true)), i(1))).toBe(true);
    expect(ok({ op: "ne", expected: py.none() }, i(0))).toBe(true);
    expect(ok({ op: "ne", expected: l(i(1)) }, t(i(1)))).toBe(true);
    expect(checkAssertCall({ op: "ne", expected: i(1) }, f(1)).message).toBe(
      "returned 1.0, expected anything but 1",
    );
  });

  it("never passes an opaque object, wherever it sits in an eq/ne value", () => {
    const r = checkAssertCall(eq(i(3)), liar);
    expect(r.ok).toBe(false);
    expect(r.message).toBe("returned an object of type AlwaysEqual the judge cannot compare");
    expect(ok({ op: "ne", expected: i(3) }, liar)).toBe(false);
    expect(ok({ op: "ne", expected: i(3) }, l(liar))).toBe(false);
    expect(ok(eq(l(i(3))), l(liar))).toBe(false);
    for (const check of [
      { op: "truthy" },
      { op: "falsy" },
      { op: "isnot", expected: py.none() },
      { op: "isclose", expected: f(1), relTol: 1e-9, absTol: 0 },
      { op: "absdiff", expected: f(1), tol: 1, inclusive: true },
    ] satisfies AssertCheck[]) {
      expect(ok(check, liar)).toBe(false);
    }
    // bool() of a list does not look at its items.
    expect(ok({ op: "truthy" }, l(liar))).toBe(true);
    // A wrapper type the encoding does not define is as opaque as an object.
    const unknown = T("collections.ChainMap", dict());
    expect(checkAssertCall(eq(dict()), unknown).message).toBe(
      "returned an object of type collections.ChainMap the judge cannot compare",
    );
    expect(ok({ op: "falsy" }, unknown)).toBe(false);
  });

  it("applies set(), frozenset(), tuple() and list() to the returned value first", () => {
    expect(ok(eq(set(s("a"), s("b")), "set"), l(s("b"), s("a"), s("b")))).toBe(true);
    expect(ok(eq(set(s("a"), s("b")), "set"), s("abba"))).toBe(true);
    expect(ok(eq(frozen(i(1)), "frozenset"), dict([i(1), s("x")]))).toBe(true);
    expect(ok(eq(t(i(1), i(2)), "tuple"), l(i(1), i(2)))).toBe(true);
    expect(ok(eq(l(i(1), i(2)), "list"), T("collections.deque", l(i(1), i(2))))).toBe(true);
    expect(ok(eq(l(i(97)), "list"), bytes("a"))).toBe(true);
    const unhashable = checkAssertCall(eq(set(), "set"), l(l(i(1))));
    expect(unhashable).toEqual({ ok: false, message: "returned [[1]]; TypeError: unhashable type: 'list'" });
    expect(checkAssertCall(eq(set(), "set"), l(t(i(1), dict()))).message).toMatch(/unhashable type: 'dict'/);
    expect(checkAssertCall(eq(l(), "list"), i(5)).message).toMatch(/'int' object is not iterable/);
    expect(ok({ op: "ne", expected: set(), wrap: "set" }, i(5))).toBe(false);
  });

  it("isclose as CPython's math.isclose", () => {
    const close = (expected: PyValue, got: PyValue, relTol = 1e-9, absTol = 0) =>
      ok({ op: "isclose", expected, relTol, absTol }, got);
    expect(close(f(1), f(1 + 1e-10))).toBe(true);
    expect(close(f(1), f(1 + 1e-8))).toBe(false);
    expect(close(f(100), f(100.05), 0.001)).toBe(true);
    expect(close(f(0), f(1e-12))).toBe(false);
    expect(close(f(0), f(1e-12), 1e-9, 1e-9)).toBe(true);
    expect(close(f(Number.POSITIVE_INFINITY), f(Number.POSITIVE_INFINITY))).toBe(true);
    expect(close(f(Number.POSITIVE_INFINITY), f(1e308), 1)).toBe(false);
    expect(close(f(Number.NaN), f(Number.NaN), 1, 1)).toBe(false);
    expect(close(i(36), py.bool(true), 1)).toBe(true);
    expect(close(i(36), i(36))).toBe(true);
    const r = checkAssertCall({ op: "isclose", expected: f(1), relTol: 1e-9, absTol: 0 }, s("1.0"));
    expect(r.message).toMatch(/TypeError: must be real number, not str/);
    expect(
      checkAssertCall({ op: "isclose", expected: f(1), relTol: 1, absTol: 0 }, i(10n ** 400n)).message,
    ).toMatch(/OverflowError/);
    expect(close(f(1), ["c", 1, 0])).toBe(false);
  });

  it("absdiff: abs(got - x) < tol, exact for ints", () => {
    const within = (expected: PyValue, got: PyValue, tol: number, inclusive = false) =>
      ok({ op: "absdiff", expected, tol, inclusive }, got);
    expect(within(f(0.33), f(0.33000001), 1e-6)).toBe(true);
    expect(within(f(0.33), f(0.331), 1e-6)).toBe(false);
    expect(within(i(5), i(6), 1)).toBe(false);
    expect(within(i(5), i(6), 1, true)).toBe(true);
    expect(within(i(10n ** 30n), i(10n ** 30n + 1n), 1.5)).toBe(true);
    expect(within(i(10n ** 30n), i(10n ** 30n + 2n), 1.5)).toBe(false);
    expect(within(f(1), py.bool(true), 1e-9)).toBe(true);
    expect(within(f(1), ["c", 1, 1e-9], 1e-6)).toBe(true);
    expect(within(f(1), f(Number.NaN), 1)).toBe(false);
    expect(checkAssertCall({ op: "absdiff", expected: f(1), tol: 1, inclusive: false }, l()).message).toMatch(
      /unsupported operand type\(s\) for -: 'list' and 'float'/,
    );
    expect(within(f(0.5), i(10n ** 400n), 1e300)).toBe(false);
  });

  it("truthy and falsy as Python's bool()", () => {
    const falsy: PyValue[] = [
      i(0),
      f(0),
      f(-0),
      s(""),
      bytes(""),
      l(),
      t(),
      set(),
      frozen(),
      dict(),
      py.none(),
      py.bool(false),
      ["c", 0, 0],
      T("collections.Counter", dict()),
      T("collections.deque", l()),
    ];
    for (const v of falsy) expect(pyTruthy(v), JSON.stringify(v)).toBe(false);
    const truthy: PyValue[] = [
      i(-1),
      f(Number.NaN),
      s(" "),
      l(i(0)),
      T("collections.Counter", dict([s("a"), i(0)])),
      T("re.Match", t(t(i(0), i(0)), s(""))),
    ];
    for (const v of truthy) expect(pyTruthy(v), JSON.stringify(v)).toBe(true);
    expect(checkAssertCall({ op: "truthy" }, i(0))).toEqual({
      ok: false,
      message: "returned 0, expected a true value",
    });
    expect(ok({ op: "falsy" }, l())).toBe(true);
  });

  it("is and is not: only the True, False and None singletons", () => {
    expect(ok({ op: "is", expected: py.bool(true) }, py.bool(true))).toBe(true);
    expect(ok({ op: "is", expected: py.bool(true) }, i(1))).toBe(false);
    expect(ok({ op: "is", expected: py.bool(false) }, i(0))).toBe(false);
    expect(ok({ op: "isnot", expected: py.none() }, l())).toBe(true);
    expect(ok({ op: "isnot", expected: py.none() }, py.none())).toBe(false);
    expect(checkAssertCall({ op: "is", expected: py.bool(true) }, i(1)).message).toBe(
      "returned 1, expected True itself (`is True`)",
    );
  });

  it("clips long values in messages", () => {
    const big = l(...Array.from({ length: 1000 }, (_, k) => i(k)));
    const m = checkAssertCall(eq(l()), big).message!;
    expect(m.length).toBeLessThan(320);
    expect(m).toMatch(/^returned \[0, 1, 2, .*\.\.\., expected \[\]$/);
    const matches = l(...Array.from({ length: 500 }, () => T("re.Match", t(t(i(0), i(1)), s("a")))));
    expect(checkAssertCall(eq(l()), matches).message).toMatch(
      /^returned \[<re.Match object; span=\(0, 1\), match='a'>, /,
    );
    expect(checkAssertCall(eq(s("")), bytes("x".repeat(100_000))).message).toMatch(
      /^returned b'xxx.*\.\.\., expected ''$/,
    );
  });

  it("stays linear on 100k-element values and refuses deep nesting without overflowing the stack", () => {
    const n = 100_000;
    const ints = Array.from({ length: n }, (_, k) => i(k));
    const floats = Array.from({ length: n }, (_, k) => f(k));
    const started = Date.now();
    const list = (xs: PyValue[]): PyValue => ["l", xs];
    expect(ok(eq(list(ints)), list(floats))).toBe(true);
    expect(ok(eq(["S", ints]), ["S", [...floats].reverse()])).toBe(true);
    expect(ok(eq(["S", ints], "set"), list([...floats, ...floats]))).toBe(true);
    expect(
      ok(eq(["d", ints.map((k): [PyValue, PyValue] => [k, k])]), [
        "d",
        floats.map((k): [PyValue, PyValue] => [k, k]),
      ]),
    ).toBe(true);
    expect(ok(eq(["S", floats.map((x) => t(x, x))]), ["S", ints.map((x) => t(x, x))])).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);

    let deep: PyValue = i(1);
    let want: PyValue = i(1);
    for (let k = 0; k < 200; k++) {
      deep = l(deep);
      want = l(want);
    }
    expect(ok(eq(want), deep)).toBe(true);
    for (let k = 0; k < 100_000; k++) deep = l(deep);
    const r = checkAssertCall(eq(want), deep);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/nested more than 1000 levels/);
  });

  it("builds set() results as Python does, keeping the first of equal members", () => {
    expect(applyBuiltin("set", l(i(1), f(1), py.bool(true), i(2)))).toEqual(set(i(1), i(2)));
    expect(applyBuiltin("tuple", s("ab"))).toEqual(t(s("a"), s("b")));
  });
});
