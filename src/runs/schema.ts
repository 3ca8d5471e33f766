import type { ZodTypeAny } from "zod";
import { zodToJsonSchema } from "zod-to-json-schema";
import { runConfigSchema } from "./config.js";

/**
 * A config file's JSON Schema (draft 7) generated from its zod schema, so the two cannot drift.
 * It describes the file a user writes: fields with defaults are optional there.
 */
export function configJsonSchema(
  schema: ZodTypeAny,
  title: string,
  description: string,
): Record<string, unknown> {
  const generated = zodToJsonSchema(schema, {
    target: "jsonSchema7",
    $refStrategy: "none",
    effectStrategy: "input",
    removeAdditionalStrategy: "strict",
  }) as Record<string, unknown>;
  return {
    $schema: generated.$schema,
    title,
    description,
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== "$schema")),
  };
}

/** `schemas/run-config.schema.json` is this output, checked by a test. */
export function runConfigJsonSchema(): Record<string, unknown> {
  return configJsonSchema(
    runConfigSchema,
    "codeloop run config",
    "A `codeloop run` config file (YAML or JSON). Reference: docs/runs.md.",
  );
}

/** The schema as the committed file holds it. */
export function runConfigJsonSchemaText(): string {
  return `${JSON.stringify(runConfigJsonSchema(), null, 2)}\n`;
}
