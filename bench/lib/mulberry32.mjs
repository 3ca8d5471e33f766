// mulberry32: a small seeded generator of uniform numbers in [0, 1), for benchmark and test
// fixtures that must come out the same on every run (the tiny GGUF's weights, the scripted
// tree model's draws).
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
