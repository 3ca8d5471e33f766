// Writes a tiny llama-architecture GGUF v3 file with random weights, so the embedded llama.cpp
// backend can be tested end to end without downloading any model.
import { writeFileSync } from "node:fs";

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
const ALIGNMENT = 32;

enum ValueType {
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  STRING = 8,
  ARRAY = 9,
}

type MetaValue =
  | { type: "u32"; value: number }
  | { type: "f32"; value: number }
  | { type: "str"; value: string }
  | { type: "str[]"; value: string[] }
  | { type: "f32[]"; value: number[] }
  | { type: "i32[]"; value: number[] };

/** Growable little-endian byte buffer. */
class ByteWriter {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  f32(v: number): void {
    this.reserve(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  str(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.bytes(bytes);
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    this.reserve(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }
  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(w: ByteWriter, v: MetaValue): void {
  switch (v.type) {
    case "u32":
      w.u32(ValueType.UINT32);
      w.u32(v.value);
      return;
    case "f32":
      w.u32(ValueType.FLOAT32);
      w.f32(v.value);
      return;
    case "str":
      w.u32(ValueType.STRING);
      w.str(v.value);
      return;
    case "str[]":
      w.u32(ValueType.ARRAY);
      w.u32(ValueType.STRING);
      w.u64(v.value.length);
      for (const s of v.value) w.str(s);
      return;
    case "f32[]":
      w.u32(ValueType.ARRAY);
      w.u32(ValueType.FLOAT32);
      w.u64(v.value.length);
      for (const x of v.value) w.f32(x);
      return;
    case "i32[]":
      w.u32(ValueType.ARRAY);
      w.u32(ValueType.INT32);
      w.u64(v.value.length);
      for (const x of v.value) w.i32(x);
      return;
  }
}

/** Deterministic PRNG (mulberry32) so the written file is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TinyGgufOptions {
  embedding?: number;
  layers?: number;
  heads?: number;
  feedForward?: number;
  contextLength?: number;
  seed?: number;
}

/** SentencePiece-style vocabulary: specials, the 256 byte fallbacks, then a few word pieces. */
function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types = [2, 3, 3]; // UNKNOWN, CONTROL, CONTROL
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(6); // BYTE
  }
  const pieces = ["▁", ..."abcdefghijklmnopqrstuvwxyz0123456789"];
  for (const word of ["the", "code", "def", "return", "print", "if", "for", "in", "x", "ok", "hello"]) {
    pieces.push(`▁${word}`);
  }
  for (const p of pieces) {
    tokens.push(p);
    types.push(1); // NORMAL
  }
  // Longer pieces score higher so the SPM merge prefers them.
  const scores = tokens.map((t, i) => (types[i] === 1 ? -100 + t.length : 0));
  return { tokens, scores, types };
}

/** Returns the bytes of a GGUF v3 llama model with random F32 weights. */
export function tinyLlamaGguf(options: TinyGgufOptions = {}): Buffer {
  const nEmbd = options.embedding ?? 64;
  const nLayer = options.layers ?? 2;
  const nHead = options.heads ?? 4;
  const nFf = options.feedForward ?? 128;
  const nCtx = options.contextLength ?? 512;
  const rand = prng(options.seed ?? 1);
  const vocab = vocabulary();
  const nVocab = vocab.tokens.length;

  const meta: [string, MetaValue][] = [
    ["general.architecture", { type: "str", value: "llama" }],
    ["general.name", { type: "str", value: "codeloop-tiny-test" }],
    ["general.alignment", { type: "u32", value: ALIGNMENT }],
    ["llama.context_length", { type: "u32", value: nCtx }],
    ["llama.embedding_length", { type: "u32", value: nEmbd }],
    ["llama.block_count", { type: "u32", value: nLayer }],
    ["llama.feed_forward_length", { type: "u32", value: nFf }],
    ["llama.attention.head_count", { type: "u32", value: nHead }],
    ["llama.attention.head_count_kv", { type: "u32", value: nHead }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-5 }],
    ["llama.rope.dimension_count", { type: "u32", value: nEmbd / nHead }],
    ["llama.vocab_size", { type: "u32", value: nVocab }],
    ["tokenizer.ggml.model", { type: "str", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "str[]", value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.types }],
    ["tokenizer.ggml.unknown_token_id", { type: "u32", value: 0 }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: 2 }],
  ];

  // Shapes are in GGUF order: the first dimension is the contiguous one.
  const tensors: { name: string; dims: number[]; fill: "ones" | "random" }[] = [
    { name: "token_embd.weight", dims: [nEmbd, nVocab], fill: "random" },
    { name: "output_norm.weight", dims: [nEmbd], fill: "ones" },
    { name: "output.weight", dims: [nEmbd, nVocab], fill: "random" },
  ];
  for (let i = 0; i < nLayer; i++) {
    const p = `blk.${i}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [nEmbd], fill: "ones" },
      { name: `${p}attn_q.weight`, dims: [nEmbd, nEmbd], fill: "random" },
      { name: `${p}attn_k.weight`, dims: [nEmbd, nEmbd], fill: "random" },
      { name: `${p}attn_v.weight`, dims: [nEmbd, nEmbd], fill: "random" },
      { name: `${p}attn_output.weight`, dims: [nEmbd, nEmbd], fill: "random" },
      { name: `${p}ffn_norm.weight`, dims: [nEmbd], fill: "ones" },
      { name: `${p}ffn_gate.weight`, dims: [nEmbd, nFf], fill: "random" },
      { name: `${p}ffn_up.weight`, dims: [nEmbd, nFf], fill: "random" },
      { name: `${p}ffn_down.weight`, dims: [nFf, nEmbd], fill: "random" },
    );
  }

  const w = new ByteWriter();
  w.u32(GGUF_MAGIC);
  w.u32(3);
  w.u64(tensors.length);
  w.u64(meta.length);
  for (const [key, value] of meta) {
    w.str(key);
    writeValue(w, value);
  }
  let offset = 0;
  const sizes: number[] = [];
  for (const t of tensors) {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(0); // GGML_TYPE_F32
    w.u64(offset);
    const bytes = t.dims.reduce((a, b) => a * b, 1) * 4;
    sizes.push(bytes);
    offset += Math.ceil(bytes / ALIGNMENT) * ALIGNMENT;
  }
  w.padTo(ALIGNMENT);
  for (const [i, t] of tensors.entries()) {
    const count = sizes[i]! / 4;
    const data = new Float32Array(count);
    if (t.fill === "ones") data.fill(1);
    // Uniform in [-0.5, 0.5) scaled: large enough that outputs vary with the sampling seed.
    else for (let j = 0; j < count; j++) data[j] = (rand() - 0.5) * 0.5;
    w.bytes(new Uint8Array(data.buffer));
    w.padTo(ALIGNMENT);
  }
  return w.result();
}

export function writeTinyLlamaGguf(path: string, options?: TinyGgufOptions): void {
  writeFileSync(path, tinyLlamaGguf(options));
}
