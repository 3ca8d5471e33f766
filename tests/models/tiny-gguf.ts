// The tests' GGUF writer lives with the benchmarks (bench/lib/gguf.mjs), which measure the
// llama.cpp backend with the same files.
export { type TinyGgufOptions, tinyLlamaGguf, writeTinyLlamaGguf } from "../../bench/lib/gguf.mjs";
