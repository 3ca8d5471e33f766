# The one-process floor of function tests: every problem's reference solution loaded once in
# this (unsandboxed) process and called on every input in turn, as EvalPlus-style harnesses do.
# Only trusted dataset code runs here. Input: a JSON file of
# [{"id", "code", "entry", "args": [<argument lists in the PyValue encoding>]}], written by
# bench/validate.mjs; output: one JSON line with the CPU seconds spent.
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "dist", "sandbox"))
import runner  # noqa: E402  (for decode_value: the same decoding the sandbox uses)

sys.setrecursionlimit(100000)
if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)
problems = json.load(open(sys.argv[1]))
calls = 0
failed = 0
cpu = 0.0
for p in problems:
    g = {"__name__": "__main__"}
    exec(compile(p["code"], p["id"], "exec"), g)
    fn = g[p["entry"]]
    for args in p["args"]:
        values = [runner.decode_value(a) for a in args]
        t = time.process_time()
        try:
            fn(*values)
        except BaseException:
            failed += 1
        cpu += time.process_time() - t
        calls += 1
print(json.dumps({"calls": calls, "failed": failed, "cpuSeconds": round(cpu, 3)}))
