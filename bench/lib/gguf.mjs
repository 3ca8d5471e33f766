// Writes llama-architecture GGUF v3 files with random weights, so the embedded llama.cpp backend
// can be tested and measured without downloading a model: a tiny one for tests (F32, a few
// hundred tokens of vocabulary) and, for the speed benchmark, one with the shape of a real
// 1.5B coder model (Qwen2.5-Coder-1.5B's dimensions, 8-bit Q8_0 weights), whose tokens/s are
// those of the real model up to the quantization (its outputs are noise).
import { randomFillSync } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { mulberry32 } from "./mulberry32.mjs";

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
const ALIGNMENT = 32;
const TYPE = { UINT32: 4, INT32: 5, FLOAT32: 6, STRING: 8, ARRAY: 9 };
const GGML_F32 = 0;
const GGML_Q8_0 = 8;
const Q8_BLOCK = 32; // values per Q8_0 block: an f16 scale then 32 int8
const Q8_BLOCK_BYTES = 2 + Q8_BLOCK;

/** Growable little-endian byte buffer for the header. */
class ByteWriter {
  buf = Buffer.alloc(1 << 16);
  length = 0;

  reserve(n) {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v) {
    this.reserve(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v) {
    this.reserve(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v) {
    this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  f32(v) {
    this.reserve(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  str(s) {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.bytes(bytes);
  }
  bytes(b) {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  padTo(alignment) {
    const pad = (alignment - (this.length % alignment)) % alignment;
    this.reserve(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }
  result() {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(w, v) {
  switch (v.type) {
    case "u32":
      w.u32(TYPE.UINT32);
      w.u32(v.value);
      return;
    case "f32":
      w.u32(TYPE.FLOAT32);
      w.f32(v.value);
      return;
    case "str":
      w.u32(TYPE.STRING);
      w.str(v.value);
      return;
    case "str[]":
      w.u32(TYPE.ARRAY);
      w.u32(TYPE.STRING);
      w.u64(v.value.length);
      for (const s of v.value) w.str(s);
      return;
    case "f32[]":
      w.u32(TYPE.ARRAY);
      w.u32(TYPE.FLOAT32);
      w.u64(v.value.length);
      for (const x of v.value) w.f32(x);
      return;
    case "i32[]":
      w.u32(TYPE.ARRAY);
      w.u32(TYPE.INT32);
      w.u64(v.value.length);
      for (const x of v.value) w.i32(x);
      return;
  }
}

/**
 * SentencePiece-style vocabulary: specials, the 256 byte fallbacks, a few word pieces, then
 * `size - n` UNUSED entries (never produced by tokenizing) so the output layer has a real
 * model's width.
 */
function vocabulary(size) {
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
  for (let i = tokens.length; i < (size ?? 0); i++) {
    tokens.push(`<unused_${i}>`);
    types.push(5); // UNUSED
  }
  // Longer pieces score higher so the SPM merge prefers them.
  const scores = tokens.map((t, i) => (types[i] === 1 ? -100 + t.length : 0));
  return { tokens, scores, types };
}

/** IEEE half-precision bits of a positive normal float (enough for a weight scale). */
function halfBits(x) {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer)[0];
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  const mant = (bits >>> 13) & 0x3ff;
  return (exp << 10) | mant;
}

/**
 * The model's header (metadata and tensor table) and tensor list.
 * Options: embedding, layers, heads, kvHeads, feedForward, contextLength, vocabSize, seed,
 * quant ("f32" | "q8_0").
 */
function layout(options = {}) {
  const nEmbd = options.embedding ?? 64;
  const nLayer = options.layers ?? 2;
  const nHead = options.heads ?? 4;
  const nHeadKv = options.kvHeads ?? nHead;
  const nFf = options.feedForward ?? 128;
  const nCtx = options.contextLength ?? 512;
  const quant = options.quant ?? "f32";
  const vocab = vocabulary(options.vocabSize);
  const nVocab = vocab.tokens.length;
  const headDim = nEmbd / nHead;
  const kvDim = headDim * nHeadKv;

  const meta = [
    ["general.architecture", { type: "str", value: "llama" }],
    ["general.name", { type: "str", value: options.name ?? "codeloop-tiny-test" }],
    ["general.alignment", { type: "u32", value: ALIGNMENT }],
    ["llama.context_length", { type: "u32", value: nCtx }],
    ["llama.embedding_length", { type: "u32", value: nEmbd }],
    ["llama.block_count", { type: "u32", value: nLayer }],
    ["llama.feed_forward_length", { type: "u32", value: nFf }],
    ["llama.attention.head_count", { type: "u32", value: nHead }],
    ["llama.attention.head_count_kv", { type: "u32", value: nHeadKv }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-5 }],
    ["llama.rope.dimension_count", { type: "u32", value: headDim }],
    ["llama.vocab_size", { type: "u32", value: nVocab }],
    ["tokenizer.ggml.model", { type: "str", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "str[]", value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.types }],
    ["tokenizer.ggml.unknown_token_id", { type: "u32", value: 0 }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: 2 }],
  ];

  // Shapes are in GGUF order: the first dimension is the contiguous one. Norms stay F32.
  const matrix = quant === "q8_0" ? GGML_Q8_0 : GGML_F32;
  const tensors = [
    { name: "token_embd.weight", dims: [nEmbd, nVocab], type: matrix },
    { name: "output_norm.weight", dims: [nEmbd], type: GGML_F32, ones: true },
    { name: "output.weight", dims: [nEmbd, nVocab], type: matrix },
  ];
  for (let i = 0; i < nLayer; i++) {
    const p = `blk.${i}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [nEmbd], type: GGML_F32, ones: true },
      { name: `${p}attn_q.weight`, dims: [nEmbd, nEmbd], type: matrix },
      { name: `${p}attn_k.weight`, dims: [nEmbd, kvDim], type: matrix },
      { name: `${p}attn_v.weight`, dims: [nEmbd, kvDim], type: matrix },
      { name: `${p}attn_output.weight`, dims: [nEmbd, nEmbd], type: matrix },
      { name: `${p}ffn_norm.weight`, dims: [nEmbd], type: GGML_F32, ones: true },
      { name: `${p}ffn_gate.weight`, dims: [nEmbd, nFf], type: matrix },
      { name: `${p}ffn_up.weight`, dims: [nEmbd, nFf], type: matrix },
      { name: `${p}ffn_down.weight`, dims: [nFf, nEmbd], type: matrix },
    );
  }
  for (const t of tensors) {
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (t.type === GGML_Q8_0 && t.dims[0] % Q8_BLOCK !== 0) {
      throw new Error(`gguf: ${t.name}'s rows (${t.dims[0]}) are not a multiple of ${Q8_BLOCK}`);
    }
    t.count = count;
    t.bytes = t.type === GGML_Q8_0 ? (count / Q8_BLOCK) * Q8_BLOCK_BYTES : count * 4;
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
  for (const t of tensors) {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(t.type);
    w.u64(offset);
    offset += Math.ceil(t.bytes / ALIGNMENT) * ALIGNMENT;
  }
  w.padTo(ALIGNMENT);
  return { header: w.result(), tensors, seed: options.seed ?? 1 };
}

/** F32 data: ones, or uniform in [-0.25, 0.25) (outputs vary with the sampling seed). */
function f32Data(t, rand) {
  const data = new Float32Array(t.count);
  if (t.ones) data.fill(1);
  else for (let j = 0; j < t.count; j++) data[j] = (rand() - 0.5) * 0.5;
  return new Uint8Array(data.buffer);
}

/** Q8_0 data for `blocks` blocks: random int8 values under one small scale (|w| < 0.02). */
function q8Data(blocks) {
  const out = Buffer.allocUnsafe(blocks * Q8_BLOCK_BYTES);
  randomFillSync(out);
  const scale = halfBits(0.02 / 128);
  for (let b = 0; b < blocks; b++) out.writeUInt16LE(scale, b * Q8_BLOCK_BYTES);
  return out;
}

/** Returns the bytes of a GGUF v3 llama model with random weights (for small models). */
export function tinyLlamaGguf(options = {}) {
  const { header, tensors, seed } = layout(options);
  const rand = mulberry32(seed);
  const parts = [header];
  for (const t of tensors) {
    parts.push(t.type === GGML_Q8_0 ? q8Data(t.count / Q8_BLOCK) : f32Data(t, rand));
    const pad = (ALIGNMENT - (t.bytes % ALIGNMENT)) % ALIGNMENT;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  return Buffer.concat(parts);
}

/** Writes the model to `path`, streaming tensors (a 1.5B model is 1.6 GB at Q8_0). */
export function writeTinyLlamaGguf(path, options = {}) {
  const { header, tensors, seed } = layout(options);
  const rand = mulberry32(seed);
  const fd = openSync(path, "w");
  try {
    writeSync(fd, header);
    for (const t of tensors) {
      if (t.type === GGML_Q8_0) {
        const chunk = 1 << 18; // blocks per write (~9 MB)
        for (let done = 0, total = t.count / Q8_BLOCK; done < total; done += chunk) {
          writeSync(fd, q8Data(Math.min(chunk, total - done)));
        }
      } else {
        writeSync(fd, f32Data(t, rand));
      }
      const pad = (ALIGNMENT - (t.bytes % ALIGNMENT)) % ALIGNMENT;
      if (pad) writeSync(fd, Buffer.alloc(pad));
    }
  } finally {
    closeSync(fd);
  }
}

/** Qwen2.5-Coder-1.5B's dimensions (its config.json) on llama's architecture, at Q8_0. */
export const CODER_1_5B_SHAPE = {
  name: "codeloop-random-1.5b-shape",
  embedding: 1536,
  layers: 28,
  heads: 12,
  kvHeads: 2,
  feedForward: 8960,
  contextLength: 32768,
  vocabSize: 151936,
  quant: "q8_0",
};
