/** How code was pulled out of an answer (src/prompts/extract.ts does the pulling). */
export type ExtractionHow = "fenced-language" | "fenced-other" | "last-block" | "unclosed-fence" | "no-fence";
