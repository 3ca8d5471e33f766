"""What CPython says, for the tests of converted asserts (tests/problems/*.test.ts).

Runs OUTSIDE any sandbox, on trusted input only: the datasets' own canonical solutions and
the tests' own constant expressions.

`pytruth.py asserts`: for each problem it executes the canonical code and setup, and for each
assert statement prints the entry point's return value in the PyValue encoding, the arguments
as Python evaluates them, and the truth of the original assert evaluated in the same process;
then the same truth with the function replaced by one returning variations of that value.
  stdin: {"problems": [{"id", "code", "setup", "entry", "asserts": [statement, ...]}]}
  stdout: one JSON object per assert.

`pytruth.py exprs`: evaluates each constant expression and prints its PyValue encoding, or the
exception it raised.
  stdin: ["expr", ...]
  stdout: one JSON object per expression: {"value": ...} or {"error": "ZeroDivisionError"}.
"""

import ast
import base64
import collections
import contextlib
import io
import json
import math
import re
import sys

# Copied from src/sandbox/runner.py (encode_value and what it needs), so the values here are
# encoded exactly as the sandbox encodes a candidate's return value.


def float_part(x):
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return x


VALUE_TYPES = {
    collections.Counter: ("collections.Counter", dict),
    collections.OrderedDict: ("collections.OrderedDict", dict),
    collections.defaultdict: ("collections.defaultdict", dict),
    collections.deque: ("collections.deque", list),
    re.Match: ("re.Match", lambda m: (m.span(), m.group(0))),
}


class EncodeLimit(Exception):
    pass


def encode_value(v, depth=0, budget=None):
    if budget is None:
        budget = [2_000_000]
    budget[0] -= 1
    if budget[0] < 0 or depth > 200:
        raise EncodeLimit("return value too large or too deeply nested")
    t = type(v)
    if v is None:
        return ["N"]
    if t is bool:
        return ["b", v]
    if t is int:
        return ["i", str(v)]
    if t is float:
        return ["f", float_part(v)]
    if t is complex:
        return ["c", float_part(v.real), float_part(v.imag)]
    if t in VALUE_TYPES:
        name, as_builtin = VALUE_TYPES[t]
        return ["T", name, encode_value(as_builtin(v), depth + 1, budget)]
    if t is str:
        return ["s", v]
    if t is bytes:
        return ["y", base64.b64encode(v).decode()]
    if t is list:
        return ["l", [encode_value(x, depth + 1, budget) for x in v]]
    if t is tuple:
        return ["t", [encode_value(x, depth + 1, budget) for x in v]]
    if t is set:
        return ["S", [encode_value(x, depth + 1, budget) for x in v]]
    if t is frozenset:
        return ["F", [encode_value(x, depth + 1, budget) for x in v]]
    if t is dict:
        return ["d", [[encode_value(k, depth + 1, budget), encode_value(x, depth + 1, budget)] for k, x in v.items()]]
    try:
        r = object.__repr__(v)
    except BaseException:
        r = "<unrepresentable>"
    return ["o", getattr(t, "__qualname__", "object"), r[:200]]


class Liar:
    """What a reward-hacking candidate returns: equal to everything, close to everything."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __float__(self):
        return 0.0

    __hash__ = object.__hash__


def variations(v):
    out = [None, True, False, 0, 1, -1, 0.0, 1.0, "", [], (), {}, set(), v]
    t = type(v)
    if t is bool:
        out += [int(v), float(v), not v]
    elif t is int:
        out += [v + 1, v - 1, -v, bool(v), str(v)]
        if abs(v) < 2**1000:
            out += [float(v), float(v) + 0.5, complex(v)]
    elif t is float:
        out += [v + 1e-7, v * (1 + 1e-12), -v, v + 0.5, str(v), complex(v)]
        if math.isfinite(v):
            out += [int(v)]
    elif t is str:
        out += [v + "x", v[:-1], v.upper(), v.encode("utf-8", "surrogatepass"), list(v), tuple(v)]
    elif t in (list, tuple):
        other = tuple(v) if t is list else list(v)
        out += [other, v[:-1], v[::-1], t(reversed(v)), collections.deque(v)]
        out += [t(float(x) if type(x) is int and abs(x) < 2**1000 else x for x in v)]
        out += [t([x] if type(x) is not list else tuple(x) for x in v)]
        if v:
            out += [t(list(v) + [v[0]])]
    elif t is dict:
        out += [collections.OrderedDict(v), collections.defaultdict(list, v), list(v.items()), list(v)]
        out += [dict(list(v.items())[:-1]), dict(reversed(list(v.items())))]
        try:
            out += [collections.Counter(v)]
        except TypeError:
            pass
    elif t in (set, frozenset):
        out += [frozenset(v) if t is set else set(v), sorted(v, key=repr), set(list(v)[:-1])]
    return out


def truth(statement, namespace):
    try:
        exec(compile(statement, "assert.py", "exec"), namespace)
        return True, None
    except AssertionError:
        return False, None
    except Exception as e:  # the assert fails either way
        return False, type(e).__name__


def entry_call(statement, names):
    # Only the assert's test: the message may call the function too, but runs only on failure.
    (node,) = ast.parse(statement).body
    calls = [
        n
        for n in ast.walk(node.test)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names
    ]
    assert len(calls) == 1, statement
    call = calls[0]
    args = [eval(compile(ast.Expression(a), "arg", "eval"), {}) for a in call.args]
    kwargs = [(k.arg, eval(compile(ast.Expression(k.value), "arg", "eval"), {})) for k in call.keywords]
    return args, kwargs


def exprs():
    for source in json.load(sys.stdin):
        try:
            rec = {"value": encode_value(eval(compile(source, "expr", "eval"), {}))}
        except Exception as e:
            rec = {"error": type(e).__name__}
        sys.stdout.write(json.dumps(rec) + "\n")


def asserts():
    req = json.load(sys.stdin)
    out = sys.stdout
    for p in req["problems"]:
        names = {"candidate", p["entry"]}
        namespace = {"__name__": "__main__"}
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(p["code"], "solution.py", "exec"), namespace)
            if p.get("setup"):
                exec(compile(p["setup"], "setup.py", "exec"), namespace)
        entry = namespace[p["entry"]]
        namespace["candidate"] = entry
        for index, statement in enumerate(p["asserts"]):
            rec = {"id": p["id"], "index": index}
            args, kwargs = entry_call(statement, names)
            rec["args"] = [encode_value(a) for a in args]
            rec["kwargs"] = [[k, encode_value(x)] for k, x in kwargs]
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    value = entry(*args, **dict(kwargs))
                except Exception as e:
                    rec["error"] = type(e).__name__
                    out.write(json.dumps(rec) + "\n")
                    continue
                rec["value"] = encode_value(value)
                rec["truth"], rec["raised"] = truth(statement, dict(namespace))
                rec["variations"] = []
                for alt in variations(value) + [Liar()]:
                    try:
                        encoded = encode_value(alt)
                    except EncodeLimit:
                        continue
                    fake_ns = dict(namespace)
                    fake_ns["candidate"] = fake_ns[p["entry"]] = lambda *a, _alt=alt, **k: _alt
                    ok, _ = truth(statement, fake_ns)
                    rec["variations"].append({"value": encoded, "truth": ok})
            out.write(json.dumps(rec) + "\n")


if sys.argv[1:] == ["asserts"]:
    asserts()
elif sys.argv[1:] == ["exprs"]:
    exprs()
else:
    sys.exit("usage: pytruth.py asserts|exprs < input.json")
