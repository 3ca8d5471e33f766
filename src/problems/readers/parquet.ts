import { open } from "node:fs/promises";
import { type AsyncBuffer, type FileMetaData, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { ProblemLoadError, errorMessage } from "../errors.js";

/** An AsyncBuffer over a local file that reads exactly the requested byte range. */
async function fileBuffer(file: string): Promise<{ buffer: AsyncBuffer; close: () => Promise<void> }> {
  const handle = await open(file, "r").catch((err: unknown) => {
    throw new ProblemLoadError(file, `cannot open: ${errorMessage(err)}`);
  });
  const { size } = await handle.stat();
  const buffer: AsyncBuffer = {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const length = Math.max(0, stop - start);
      const out = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return out.buffer.slice(out.byteOffset, out.byteOffset + done) as ArrayBuffer;
    },
  };
  return { buffer, close: () => handle.close() };
}

export async function parquetMetadataOf(file: string): Promise<FileMetaData> {
  const { buffer, close } = await fileBuffer(file);
  try {
    return await readMetadata(file, buffer);
  } finally {
    await close();
  }
}

async function readMetadata(file: string, buffer: AsyncBuffer): Promise<FileMetaData> {
  try {
    return await parquetMetadataAsync(buffer);
  } catch (err) {
    throw new ProblemLoadError(file, `not a readable parquet file (truncated?): ${errorMessage(err)}`);
  }
}

/** Top-level column names of a parquet file. */
export async function parquetColumns(file: string): Promise<string[]> {
  const md = await parquetMetadataOf(file);
  const names: string[] = [];
  // schema[0] is the root; walk its direct children, skipping their nested elements.
  let i = 1;
  const skip = (idx: number): number => {
    const el = md.schema[idx]!;
    let next = idx + 1;
    for (let c = 0; c < (el.num_children ?? 0); c++) next = skip(next);
    return next;
  };
  while (i < md.schema.length) {
    names.push(md.schema[i]!.name);
    i = skip(i);
  }
  return names;
}

export interface ParquetRow {
  /** 0-based row index in the file. */
  row: number;
  value: Record<string, unknown>;
}

/**
 * Streams rows of a parquet file one row group at a time, so a 200 MB CodeContests shard never
 * sits in memory whole. `wantRow` (given the `keyColumn` value) lets callers skip row groups
 * without decoding their heavy columns.
 */
export async function* readParquetRows(
  file: string,
  opts: { keyColumn?: string; wantKey?: (key: unknown) => boolean } = {},
): AsyncGenerator<ParquetRow> {
  const { buffer, close } = await fileBuffer(file);
  try {
    const metadata = await readMetadata(file, buffer);
    let start = 0;
    for (const [g, group] of metadata.row_groups.entries()) {
      const count = Number(group.num_rows);
      const end = start + count;
      let wanted: Set<number> | undefined;
      if (opts.keyColumn && opts.wantKey) {
        const keys = await readRange(file, buffer, metadata, start, end, g, [opts.keyColumn]);
        wanted = new Set();
        keys.forEach((k, i) => {
          if (opts.wantKey!(k[opts.keyColumn!])) wanted!.add(i);
        });
        if (wanted.size === 0) {
          start = end;
          continue;
        }
      }
      const rows = await readRange(file, buffer, metadata, start, end, g);
      for (const [i, value] of rows.entries()) {
        if (wanted && !wanted.has(i)) continue;
        yield { row: start + i, value };
      }
      start = end;
    }
  } finally {
    await close();
  }
}

async function readRange(
  file: string,
  buffer: AsyncBuffer,
  metadata: FileMetaData,
  rowStart: number,
  rowEnd: number,
  group: number,
  columns?: string[],
): Promise<Record<string, unknown>[]> {
  try {
    const rows = await parquetReadObjects({ file: buffer, metadata, compressors, rowStart, rowEnd, columns });
    if (rows.length !== rowEnd - rowStart) {
      throw new Error(`expected ${rowEnd - rowStart} rows, decoded ${rows.length}`);
    }
    return rows;
  } catch (err) {
    throw new ProblemLoadError(
      file,
      `cannot decode row group ${group} (rows ${rowStart}-${rowEnd - 1}): ${errorMessage(err)}`,
      undefined,
      { cause: err },
    );
  }
}
