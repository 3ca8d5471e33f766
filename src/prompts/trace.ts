import { type PromptOverrides, render } from "./templates.js";
import { clipInline } from "./text.js";

/**
 * One executed line of the submitted program, as the sandbox's tracer reports it (JSON, one
 * object per line executed in the user's code, in execution order).
 */
export interface TraceEvent {
  /** 1-based line number in the submitted program. */
  line: number;
  /** Name of the function the line belongs to; "<module>" at top level. */
  func: string;
  /** The source text of the line. */
  source: string;
  /**
   * Local variables of that frame after the line ran: name -> Python repr. The tracer may
   * already shorten long reprs; the renderer cuts them again to its own limit.
   */
  vars: Record<string, string>;
}

/** The trace of one failing public test. */
export interface ExecutionTrace {
  /** Index of the traced test among the problem's public tests. */
  testIndex: number;
  events: TraceEvent[];
  /**
   * The tracer keeps only the first and last events of a long run: `count` events after
   * `events[after - 1]` were dropped.
   */
  omitted?: { after: number; count: number };
  /** How the traced run ended, in words ("returned 15", "ZeroDivisionError: division by zero", "timeout"). */
  outcome?: string;
}

export interface TraceLimits {
  /** Blocks kept from the start and from the end of the trace. */
  headBlocks: number;
  tailBlocks: number;
  /** Characters per variable value (head...tail). */
  valueChars: number;
  /** Variables shown per block. */
  maxVars: number;
  /** Lines shown per block (first ones and the last one). */
  blockLines: number;
}

interface Block {
  events: TraceEvent[];
  /** The frame's variables before the block, when the block continues a frame already seen. */
  before?: Record<string, string>;
  gapBefore?: number;
}

/**
 * Splits events into blocks of straight-line execution, in the spirit of a debugger's basic
 * blocks: a block ends where control jumps back (a loop starts its next iteration), moves to
 * another function (a call or a return), or where the tracer dropped events.
 */
export function traceBlocks(trace: ExecutionTrace): Block[] {
  const blocks: Block[] = [];
  const lastVars = new Map<string, Record<string, string>>();
  let cur: Block | undefined;
  trace.events.forEach((ev, i) => {
    const prev = trace.events[i - 1];
    const gap = trace.omitted && trace.omitted.after === i && i > 0 ? trace.omitted.count : undefined;
    if (!cur || !prev || gap !== undefined || ev.func !== prev.func || ev.line <= prev.line) {
      if (cur && prev) lastVars.set(prev.func, prev.vars);
      cur = { events: [], before: lastVars.get(ev.func), gapBefore: gap };
      blocks.push(cur);
    }
    cur.events.push(ev);
  });
  return blocks;
}

function renderBlock(block: Block, number: number, limits: TraceLimits, o?: PromptOverrides): string {
  const evs = block.events;
  const first = evs[0]!;
  const last = evs[evs.length - 1]!;
  let shownEvents = evs;
  let skipped = 0;
  if (limits.blockLines > 0 && evs.length > limits.blockLines) {
    shownEvents = [...evs.slice(0, Math.max(1, limits.blockLines - 1)), last];
    skipped = evs.length - shownEvents.length;
  }
  const width = String(Math.max(...evs.map((e) => e.line))).length;
  const lines = shownEvents.map((e) => `  ${String(e.line).padStart(width)} | ${e.source.trimEnd()}`);
  if (skipped > 0)
    lines.splice(lines.length - 1, 0, `  ${render("feedback.cut.lines", { count: skipped }, o)}`);

  const changed = Object.entries(last.vars).filter(([k, v]) => block.before?.[k] !== v);
  let state: string;
  if (changed.length === 0) {
    state = render("trace.unchanged", {}, o);
  } else {
    const shown = changed.slice(0, Math.max(1, limits.maxVars));
    let vars = shown.map(([k, v]) => `${k} = ${clipInline(v, limits.valueChars)}`).join(", ");
    if (changed.length > shown.length) vars += `, ... (${changed.length - shown.length} more)`;
    state = render("trace.state", { vars }, o);
  }
  return render(
    "trace.block",
    {
      number,
      func: first.func,
      first: Math.min(...evs.map((e) => e.line)),
      last: Math.max(...evs.map((e) => e.line)),
      lines: lines.join("\n"),
      state,
    },
    o,
  );
}

/**
 * The trace as text: the first `headBlocks` and last `tailBlocks` blocks, with a marker for the
 * blocks between (and for events the tracer itself dropped), then how the run ended.
 */
export function renderTrace(trace: ExecutionTrace, limits: TraceLimits, overrides?: PromptOverrides): string {
  const blocks = traceBlocks(trace);
  const n = blocks.length;
  const keep = new Set<number>();
  if (limits.headBlocks + limits.tailBlocks >= n) {
    for (let i = 0; i < n; i++) keep.add(i);
  } else {
    for (let i = 0; i < limits.headBlocks; i++) keep.add(i);
    for (let i = n - limits.tailBlocks; i < n; i++) keep.add(i);
  }
  const out: string[] = [];
  let cutBlocks = 0;
  let cutEvents = 0;
  const flushCut = () => {
    if (cutBlocks > 0) {
      out.push(render("trace.gap", { blocks: cutBlocks, events: cutEvents }, overrides));
    } else if (cutEvents > 0) {
      out.push(render("trace.dropped", { events: cutEvents }, overrides));
    }
    cutBlocks = 0;
    cutEvents = 0;
  };
  blocks.forEach((b, i) => {
    // Events the tracer dropped count as cut lines where they were dropped.
    if (b.gapBefore) cutEvents += b.gapBefore;
    if (!keep.has(i)) {
      cutBlocks++;
      cutEvents += b.events.length;
      return;
    }
    flushCut();
    out.push(renderBlock(b, i + 1, limits, overrides));
  });
  // Events dropped after the last one kept are cut lines at the very end.
  if (trace.omitted && trace.omitted.after >= trace.events.length) cutEvents += trace.omitted.count;
  flushCut();
  if (trace.outcome) out.push(render("trace.outcome", { outcome: trace.outcome }, overrides));
  return out.join("\n");
}

/** Checks a trace parsed from the sandbox's JSON; throws with the first problem found. */
export function parseExecutionTrace(value: unknown): ExecutionTrace {
  const fail = (what: string): never => {
    throw new Error(`invalid execution trace: ${what}`);
  };
  if (typeof value !== "object" || value === null) fail("not an object");
  const v = value as Record<string, unknown>;
  if (!Number.isInteger(v.testIndex) || (v.testIndex as number) < 0)
    fail("testIndex must be a non-negative integer");
  if (!Array.isArray(v.events)) fail("events must be an array");
  const events = (v.events as unknown[]).map((e, i): TraceEvent => {
    if (typeof e !== "object" || e === null) fail(`events[${i}] is not an object`);
    const r = e as Record<string, unknown>;
    if (!Number.isInteger(r.line) || (r.line as number) < 1)
      fail(`events[${i}].line must be a positive integer`);
    if (typeof r.func !== "string") fail(`events[${i}].func must be a string`);
    if (typeof r.source !== "string") fail(`events[${i}].source must be a string`);
    if (typeof r.vars !== "object" || r.vars === null || Array.isArray(r.vars))
      fail(`events[${i}].vars must be an object`);
    const vars: Record<string, string> = {};
    for (const [k, x] of Object.entries(r.vars as Record<string, unknown>)) {
      if (typeof x !== "string") fail(`events[${i}].vars.${k} must be a string (a Python repr)`);
      vars[k] = x as string;
    }
    return { line: r.line as number, func: r.func as string, source: r.source as string, vars };
  });
  const out: ExecutionTrace = { testIndex: v.testIndex as number, events };
  if (v.omitted !== undefined) {
    const om = v.omitted as Record<string, unknown>;
    if (
      typeof om !== "object" ||
      om === null ||
      !Number.isInteger(om.after) ||
      !Number.isInteger(om.count) ||
      (om.after as number) < 0 ||
      (om.after as number) > events.length ||
      (om.count as number) < 0
    ) {
      fail("omitted must be { after, count } with after within the events");
    }
    out.omitted = { after: om.after as number, count: om.count as number };
  }
  if (v.outcome !== undefined) {
    if (typeof v.outcome !== "string") fail("outcome must be a string");
    out.outcome = v.outcome as string;
  }
  return out;
}
