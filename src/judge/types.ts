// Verdicts and tests moved to the ground floor (src/core/verdict.ts); kept here for the judge's importers.
export * from "../core/verdict.js";
