// Trajectories, turns and candidates moved to the ground floor (src/core/trajectory.ts), shared by
// strategies, runs, metrics and exports; kept here for the runs' importers.
export * from "../core/trajectory.js";
