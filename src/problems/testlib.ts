import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ProblemLoadError, errorMessage } from "./errors.js";

/**
 * testlib.h, the header Codeforces/Polygon checkers are written against. codeloop never ships
 * it: it comes from the dataset (a column, or a file in the dataset's folder) or from the user
 * (CODELOOP_TESTLIB), and travels to the compiler beside the checker as one of its sources.
 */
export const TESTLIB_ENV = "CODELOOP_TESTLIB";

export const TESTLIB_MISSING = `checker needs testlib.h: set ${TESTLIB_ENV}=/path/to/testlib.h`;

export interface TestlibHeader {
  content: string;
  /** Where it came from, for `problems show`: "CODELOOP_TESTLIB=/x/testlib.h", a dataset path, ... */
  origin: string;
}

/** Whether C++ source includes testlib.h (`#include "testlib.h"` or `<testlib.h>`). */
export function includesTestlib(source: string): boolean {
  return /^[ \t]*#[ \t]*include[ \t]*["<]testlib\.h[">]/m.test(source);
}

// Read once and shared by every problem of a load (one string, however many checkers use it).
const readCache = new Map<string, { key: string; header: TestlibHeader | undefined }>();

function readHeader(path: string, origin: string): TestlibHeader | undefined {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return undefined;
  const key = `${st.size}:${st.mtimeMs}`;
  const cached = readCache.get(path);
  if (cached?.key === key) return cached.header;
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch (err) {
    throw new ProblemLoadError(path, `cannot read testlib.h: ${errorMessage(err)}`);
  }
  const header = { content, origin };
  readCache.set(path, { key, header });
  return header;
}

/**
 * The header the user pointed CODELOOP_TESTLIB at. A set variable that names no readable file
 * is an error, not a silently unjudgeable benchmark.
 */
export function testlibFromEnv(env: NodeJS.ProcessEnv = process.env): TestlibHeader | undefined {
  const raw = env[TESTLIB_ENV];
  if (raw === undefined || raw.trim() === "") return undefined;
  const path = resolve(raw);
  const header = readHeader(path, `${TESTLIB_ENV}=${path}`);
  if (!header) {
    throw new ProblemLoadError(
      path,
      `${TESTLIB_ENV} must name an existing file (the testlib.h header itself)`,
    );
  }
  return header;
}

/**
 * testlib.h shipped with the dataset: beside the data file, or one folder up (the root of a Hub
 * snapshot whose data sits in a config folder such as ccplus_1x/).
 */
export function testlibBeside(dataFile: string): TestlibHeader | undefined {
  const dir = dirname(resolve(dataFile));
  for (const d of [dir, dirname(dir)]) {
    const found = readHeader(join(d, "testlib.h"), join(d, "testlib.h"));
    if (found) return found;
  }
  return undefined;
}
