import { zodToJsonSchema } from "zod-to-json-schema";
import { runConfigSchema } from "./config.js";

/**
 * The run config's JSON Schema (draft 7), generated from the zod schema so the two cannot
 * drift; `schemas/run-config.schema.json` is this output, checked by a test. It describes the
 * file a user writes: fields with defaults are optional there.
 */
export function runConfigJsonSchema(): Record<string, unknown> {
  const schema = zodToJsonSchema(runConfigSchema, {
    target: "jsonSchema7",
    $refStrategy: "none",
    effectStrategy: "input",
    removeAdditionalStrategy: "strict",
  }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: "codeloop run config",
    description: "A `codeloop run` config file (YAML or JSON). Reference: docs/runs.md.",
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
  };
}

/** The schema as the committed file holds it. */
export function runConfigJsonSchemaText(): string {
  return `${JSON.stringify(runConfigJsonSchema(), null, 2)}\n`;
}
