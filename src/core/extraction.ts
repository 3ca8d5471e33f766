/**
 * Where the extracted code came from:
 * - fenced-language: a complete fenced block tagged with the problem's language;
 * - fenced-other: a complete block tagged with another tag, whose content looks like code in
 *   the problem's language (```python3.11, ```Python, ```code ...);
 * - last-block: a complete untagged block whose content looks like code;
 * - unclosed-fence: the answer's final block was never closed (cut off, or a forgotten fence);
 * - no-fence: no usable block, but part of the answer reads as code;
 * - none: no code at all (a recorded outcome: the turn is spent).
 */
export type ExtractionHow = "fenced-language" | "fenced-other" | "last-block" | "unclosed-fence" | "no-fence";
