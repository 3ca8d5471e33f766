import { zodToJsonSchema } from "zod-to-json-schema";
import { sweepConfigSchema } from "./config.js";

/**
 * The sweep config's JSON Schema (draft 7), generated from the zod schema;
 * `schemas/sweep-config.schema.json` is this output, checked by a test. The inline `base` is
 * any mapping here: it is validated as a run config (schemas/run-config.schema.json).
 */
export function sweepConfigJsonSchema(): Record<string, unknown> {
  const schema = zodToJsonSchema(sweepConfigSchema, {
    target: "jsonSchema7",
    $refStrategy: "none",
    effectStrategy: "input",
    removeAdditionalStrategy: "strict",
  }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: "codeloop sweep config",
    description: "A `codeloop sweep` config file (YAML or JSON). Reference: docs/sweep.md.",
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
  };
}

export function sweepConfigJsonSchemaText(): string {
  return `${JSON.stringify(sweepConfigJsonSchema(), null, 2)}\n`;
}
