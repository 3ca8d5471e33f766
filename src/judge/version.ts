/**
 * Version of codeloop's judging: the sandbox's rules, the comparison, the checkers and the test
 * selection together. Bump it whenever any program could be decided differently, so that
 * verdicts made before are recognised as stale: `codeloop judge` grades such samples again on
 * resume, and run folders record it with each grade version, so exports and other readers can
 * refuse grades that an older judge made (see `staleGrades` in src/runs/store-reader.ts).
 */
export const JUDGE_VERSION = "codeloop-judge/1";
