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

/** Incremental decoder: push chunks as they arrive, get whole frames out. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.tryTake();
      if (!frame) break;
      frames.push(frame);
    }
    return frames;
  }

  private tryTake(): Frame | undefined {
    if (this.size < 4) return undefined;
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [buf];
    const hlen = buf.readUInt32BE(0);
    if (buf.length < 4 + hlen) return undefined;
    const header = JSON.parse(buf.subarray(4, 4 + hlen).toString("utf8")) as Frame["header"] & {
      blobs?: number[];
    };
    const lengths = header.blobs ?? [];
    const total = 4 + hlen + lengths.reduce((a, b) => a + b, 0);
    if (buf.length < total) return undefined;
    const blobs: Buffer[] = [];
    let off = 4 + hlen;
    for (const n of lengths) {
      blobs.push(Buffer.from(buf.subarray(off, off + n)));
      off += n;
    }
    buf = buf.subarray(total);
    this.chunks = buf.length ? [buf] : [];
    this.size = buf.length;
    return { header, blobs };
  }
}
