import type { PyValue } from "../../judge/pyvalue.js";

/**
 * MBPP+ stores inputs as JSON, which has no tuples or sets; EvalPlus rebuilds them per task
 * before calling the canonical solution. These are the same rebuilds (facts about the data,
 * listed by task number), on PyValues. Tasks 124 and 252 need complex numbers, which PyValue
 * cannot carry: `rebuildMbppArgs` returns undefined for them.
 */
const EACH_ARG_TUPLE = new Set([
  2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630, 726, 740, 744, 809,
]);
const EACH_ARG_LIST_OF_TUPLES = new Set([
  63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780,
]);
const FIRST_ARG_LIST_OF_TUPLES = new Set([75, 413, 444, 753]);
const SECOND_ARG_TUPLE = new Set([106, 750]);
const FIRST_ARG_TUPLE = new Set([250, 307, 405, 446, 617, 720, 763, 808]);
const EACH_ARG_TUPLE_OF_TUPLES = new Set([259, 401, 445]);
const ALL_LISTS_TUPLES = new Set([580, 615, 791]);
export const MBPP_COMPLEX_TASKS = new Set([124, 252]);

export class RebuildError extends Error {}

/** Python's tuple(x) for the iterables that occur in the data. */
function tuple(v: PyValue): PyValue {
  switch (v[0]) {
    case "l":
    case "t":
    case "S":
    case "F":
      return ["t", v[1]];
    case "s":
      return ["t", [...v[1]].map((c): PyValue => ["s", c])];
    case "d":
      return ["t", v[1].map(([k]) => k)];
    default:
      throw new RebuildError(`tuple() of a non-iterable ${v[0]}`);
  }
}

function items(v: PyValue): PyValue[] {
  if (v[0] === "l" || v[0] === "t") return v[1];
  throw new RebuildError("expected a list");
}

function deepTuple(v: PyValue): PyValue {
  return v[0] === "l" ? ["t", v[1].map(deepTuple)] : v;
}

function rebuildOne(task: number, args: PyValue[]): PyValue[] {
  if (EACH_ARG_TUPLE.has(task)) return args.map(tuple);
  if (EACH_ARG_LIST_OF_TUPLES.has(task)) return args.map((a) => ["l", items(a).map(tuple)]);
  if (FIRST_ARG_LIST_OF_TUPLES.has(task)) return [["l", items(args[0]!).map(tuple)], ...args.slice(1)];
  if (SECOND_ARG_TUPLE.has(task)) return [args[0]!, tuple(args[1]!), ...args.slice(2)];
  if (FIRST_ARG_TUPLE.has(task)) return [tuple(args[0]!), ...args.slice(1)];
  if (EACH_ARG_TUPLE_OF_TUPLES.has(task)) return args.map((a) => ["t", items(a).map(tuple)]);
  if (ALL_LISTS_TUPLES.has(task)) return args.map(deepTuple);
  if (task === 115) {
    // EvalPlus turns each non-empty list into a set and each empty one into {} (a dict).
    return [
      ["l", items(args[0]!).map((x): PyValue => (x[0] === "l" && x[1].length > 0 ? ["S", x[1]] : ["d", []]))],
    ];
  }
  if (task === 278) {
    const first = items(args[0]!).map((x) => (x[0] === "l" ? tuple(x) : x));
    return [["t", first]];
  }
  if (task === 722) {
    const d = args[0]!;
    if (d[0] !== "d") throw new RebuildError("expected a dict");
    return [["d", d[1].map(([k, v]): [PyValue, PyValue] => [k, tuple(v)])], ...args.slice(1)];
  }
  return args;
}

/** Rebuilds every argument list of an MBPP+ task; undefined when the task needs complex numbers. */
export function rebuildMbppArgs(taskNumber: number, argLists: PyValue[][]): PyValue[][] | undefined {
  if (MBPP_COMPLEX_TASKS.has(taskNumber)) return undefined;
  return argLists.map((a) => rebuildOne(taskNumber, a));
}
