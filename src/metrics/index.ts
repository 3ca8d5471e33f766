export * from "./types.js";
export { seededRng, type Rng } from "./rng.js";
export { passAtK, passAtKPerProblem, meanPassAtK } from "./passk.js";
export * from "./nk.js";
export * from "./bootstrap.js";
export * from "./budget.js";
export { sequenceRatio, matchingCharacters } from "./sequence.js";
export {
  normalizePythonCodes,
  type NormaliseOptions,
  BackgroundNormaliser,
  NORMALISED_FILE,
  normalisedCacheFile,
} from "./normalize.js";
export * from "./similarity.js";
export * from "./compute.js";
export * from "./fromStore.js";
export * from "./paired.js";
export * from "./verifier.js";
