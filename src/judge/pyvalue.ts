// The Python value model moved to the ground floor (src/core/pyvalue.ts); kept here for the judge's importers.
export * from "../core/pyvalue.js";
