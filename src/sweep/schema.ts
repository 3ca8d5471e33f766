import { configJsonSchema } from "../runs/schema.js";
import { sweepConfigSchema } from "./config.js";

/**
 * The sweep config's JSON Schema; `schemas/sweep-config.schema.json` is this output, checked by
 * a test. The inline `base` is any mapping here: it is validated as a run config
 * (schemas/run-config.schema.json).
 */
export function sweepConfigJsonSchema(): Record<string, unknown> {
  return configJsonSchema(
    sweepConfigSchema,
    "codeloop sweep config",
    "A `codeloop sweep` config file (YAML or JSON). Reference: docs/sweep.md.",
  );
}

export function sweepConfigJsonSchemaText(): string {
  return `${JSON.stringify(sweepConfigJsonSchema(), null, 2)}\n`;
}
