// The code normaliser moved to the ground floor (src/core/normalize.ts): runs feed it as they go.
export * from "../core/normalize.js";
