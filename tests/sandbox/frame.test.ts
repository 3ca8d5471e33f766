import { describe, expect, it } from "vitest";
import { FrameDecoder, encodeFrame } from "../../src/sandbox/frame.js";

describe("frame codec", () => {
  it("reassembles frames split at any byte and several frames in one chunk", () => {
    const a = encodeFrame({ op: "result", n: 1 }, [
      Buffer.from("out"),
      Buffer.alloc(0),
      Buffer.from([0, 255, 10]),
    ]);
    const b = encodeFrame({ op: "done", text: "é\n" });
    const all = Buffer.concat([a, b, a]);
    for (const size of [1, 2, 5, 17, all.length]) {
      const dec = new FrameDecoder();
      const frames = [];
      for (let i = 0; i < all.length; i += size) frames.push(...dec.push(all.subarray(i, i + size)));
      expect(frames.map((f) => f.header.op)).toEqual(["result", "done", "result"]);
      expect(frames[0]!.blobs.map((x) => [...x])).toEqual([[111, 117, 116], [], [0, 255, 10]]);
      expect(frames[1]!.header.text).toBe("é\n");
    }
  });
});
