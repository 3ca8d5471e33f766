/**
 * A small unpickler for data-only pickles (no classes, no globals): enough for LiveCodeBench's
 * private tests, which are `pickle.dumps(json_string)` at protocol 4/5, and for simple
 * containers. Opcodes that would import or call anything are refused.
 */
export class UnpickleError extends Error {}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | { tuple: PickleValue[] }
  | Map<PickleValue, PickleValue>;

const MARK = Symbol("mark");
type StackItem = PickleValue | typeof MARK;

export function unpickle(data: Uint8Array): PickleValue {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  const need = (n: number) => {
    if (pos + n > buf.length) throw new UnpickleError(`truncated pickle at byte ${pos}`);
  };
  const u8 = () => {
    need(1);
    return buf[pos++]!;
  };
  const u16 = () => {
    need(2);
    const v = buf.readUInt16LE(pos);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = buf.readUInt32LE(pos);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = buf.readBigUInt64LE(pos);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UnpickleError("object too large");
    return Number(v);
  };
  const bytes = (n: number) => {
    need(n);
    const v = buf.subarray(pos, pos + n);
    pos += n;
    return v;
  };
  const line = () => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) throw new UnpickleError(`unterminated line at byte ${pos}`);
    const v = buf.subarray(pos, end).toString("latin1");
    pos = end + 1;
    return v;
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new UnpickleError(`stack underflow at byte ${pos}`);
    return v;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new UnpickleError(`stack underflow at byte ${pos}`);
    return v;
  };
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new UnpickleError(`no MARK on the stack at byte ${pos}`);
    const items = stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  };
  const utf8 = (b: Uint8Array) => Buffer.from(b).toString("utf8");
  const signedLong = (b: Buffer): bigint => {
    if (b.length === 0) return 0n;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v;
  };
  const num = (v: bigint): number | bigint =>
    v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  const appendTo = (list: PickleValue, items: PickleValue[]) => {
    if (!Array.isArray(list)) throw new UnpickleError(`APPEND to a non-list at byte ${pos}`);
    list.push(...items);
  };
  const setItems = (dict: PickleValue, items: PickleValue[]) => {
    if (!(dict instanceof Map)) throw new UnpickleError(`SETITEM on a non-dict at byte ${pos}`);
    for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i]!, items[i + 1]!);
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new UnpickleError("unsupported pickle protocol");
        break;
      case 0x95: // FRAME: a length hint only; opcodes continue in the same byte stream.
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(buf.readInt32LE(pos));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(num(signedLong(bytes(u8()))));
        break;
      case 0x8b: // LONG4
        stack.push(num(signedLong(bytes(u32()))));
        break;
      case 0x49: {
        // INT (protocol 0): "01"/"00" are True/False.
        const t = line();
        stack.push(t === "01" ? true : t === "00" ? false : num(BigInt(t)));
        break;
      }
      case 0x47: // BINFLOAT
        need(8);
        stack.push(buf.readDoubleBE(pos));
        pos += 8;
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(bytes(u8())));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(bytes(u32())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(bytes(u64())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(new Uint8Array(bytes(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(new Uint8Array(bytes(u32())));
        break;
      case 0x8e: // BINBYTES8
        stack.push(new Uint8Array(bytes(u64())));
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) throw new UnpickleError(`memo key ${k} missing at byte ${at}`);
        stack.push(memo.get(k)!);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        appendTo(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendTo(top(), items);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push({ tuple: [] });
        break;
      case 0x74: // TUPLE
        stack.push({ tuple: popMark() });
        break;
      case 0x85: // TUPLE1
        stack.push({ tuple: [pop()] });
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push({ tuple: [pop(), b] });
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push({ tuple: [pop(), b, c] });
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const m = new Map<PickleValue, PickleValue>();
        setItems(m, popMark());
        stack.push(m);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      default:
        throw new UnpickleError(
          `unsupported pickle opcode 0x${op.toString(16).padStart(2, "0")} at byte ${at}`,
        );
    }
  }
}
