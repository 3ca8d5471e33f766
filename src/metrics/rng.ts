/** The seeded generator lives on the ground floor (strategies draw from it too). */
export { type Rng, randInt, seededRng } from "../core/rng.js";
