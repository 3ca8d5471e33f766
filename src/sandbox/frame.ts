/**
 * The framing shared with runner.py: a 4-byte big-endian header length, a JSON header whose
 * "blobs" field lists the lengths of the raw byte blobs that follow it.
 */
export interface Frame {
  header: Record<string, unknown> & { op: string };
  blobs: Buffer[];
}

export function encodeFrame(header: Record<string, unknown>, blobs: Buffer[] = []): Buffer {
  const head = Buffer.from(JSON.stringify({ ...header, blobs: blobs.map((b) => b.length) }));
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(head.length, 0);
  return Buffer.concat([len, head, ...blobs]);
}

export class FrameError extends Error {}

/** Headers are small (metadata only); anything bigger is a broken stream, not a frame. */
const MAX_HEADER = 16 << 20;
/** Blobs are capped by the sandbox's own limits; this bounds what a broken stream can claim. */
const MAX_FRAME = 4 * 2 ** 30;

/**
 * Incremental decoder: push chunks as they arrive, get whole frames out. Chunks are only
 * joined once a whole frame is there, so decoding is linear in the frame's size (joining
 * every chunk on arrival made a 60 MB output quadratic: 15 s at 60 MiB).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes needed before the next attempt can succeed. */
  private need = 4;
  private header?: Frame["header"] & { blobs?: number[] };
  private headerBytes = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const frames: Frame[] = [];
    while (this.size >= this.need) {
      const frame = this.step();
      if (frame) frames.push(frame);
    }
    return frames;
  }

  /** Takes n bytes off the front; `own` copies a slice of a chunk so it holds no chunk alive. */
  private take(n: number, own = false): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const out = own ? Buffer.from(first.subarray(0, n)) : first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.size -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.size -= n;
    return out;
  }

  private step(): Frame | undefined {
    if (!this.header) {
      if (this.headerBytes === 0) {
        const hlen = this.take(4).readUInt32BE(0);
        if (hlen > MAX_HEADER) throw new FrameError(`frame header of ${hlen} bytes`);
        this.headerBytes = hlen;
        this.need = hlen;
        return undefined;
      }
      const raw = this.take(this.headerBytes);
      let header: unknown;
      try {
        header = JSON.parse(raw.toString("utf8"));
      } catch (err) {
        throw new FrameError(`malformed frame header: ${(err as Error).message}`);
      }
      if (
        typeof header !== "object" ||
        header === null ||
        typeof (header as { op?: unknown }).op !== "string"
      ) {
        throw new FrameError("frame header is not an object with an op");
      }
      const lengths = (header as { blobs?: unknown }).blobs ?? [];
      if (!Array.isArray(lengths) || !lengths.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) {
        throw new FrameError("frame blob lengths are not non-negative integers");
      }
      const total = (lengths as number[]).reduce((a, b) => a + b, 0);
      if (total > MAX_FRAME) throw new FrameError(`frame of ${total} bytes`);
      this.header = header as Frame["header"] & { blobs?: number[] };
      this.need = total;
      if (total > 0) return undefined;
    }
    const header = this.header;
    const blobs: Buffer[] = [];
    for (const n of header.blobs ?? []) blobs.push(n === 0 ? Buffer.alloc(0) : this.take(n, true));
    this.header = undefined;
    this.headerBytes = 0;
    this.need = 4;
    return { header, blobs };
  }
}
