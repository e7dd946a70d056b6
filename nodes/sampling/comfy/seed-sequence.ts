// numpy.random.SeedSequence (numpy/random/bit_generator.pyx), which seeds torchsde's Brownian tree: the entropy
// and spawn key as 32-bit words are hashed into a pool of `poolSize` words, and generate_state(n) hashes the pool
// into n output words. All arithmetic is uint32 (Math.imul, >>> 0).

const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const XSHIFT = 16;

/** A non-negative integer as little-endian uint32 words ([0] for 0). */
function toWords(value: bigint): number[] {
  if (value < 0n) throw new RangeError(`SeedSequence: entropy must be non-negative, got ${value}.`);
  if (value === 0n) return [0];
  const words: number[] = [];
  while (value > 0n) {
    words.push(Number(value & 0xffffffffn));
    value >>= 32n;
  }
  return words;
}

export class SeedSequence {
  private readonly pool: Uint32Array;

  /** `new SeedSequence(entropy, spawnKey, poolSize)` = np.random.SeedSequence(entropy, spawn_key=..., pool_size=...). */
  constructor(entropy: bigint | number, spawnKey: readonly (bigint | number)[] = [], poolSize = 4) {
    let run = toWords(BigInt(entropy));
    const spawn = spawnKey.flatMap((k) => toWords(BigInt(k)));
    // numpy >= 1.19 pads the entropy to the pool size when there is a spawn key.
    if (spawn.length > 0 && run.length < poolSize) run = [...run, ...new Array<number>(poolSize - run.length).fill(0)];
    const entropyWords = [...run, ...spawn];
    const pool = new Uint32Array(poolSize);
    let hashConst = INIT_A;
    const hashmix = (value: number): number => {
      value = (value ^ hashConst) >>> 0;
      hashConst = Math.imul(hashConst, MULT_A) >>> 0;
      value = Math.imul(value, hashConst) >>> 0;
      return (value ^ (value >>> XSHIFT)) >>> 0;
    };
    const mix = (x: number, y: number): number => {
      const result = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
      return (result ^ (result >>> XSHIFT)) >>> 0;
    };
    for (let i = 0; i < poolSize; i++) pool[i] = hashmix(i < entropyWords.length ? entropyWords[i] : 0);
    for (let src = 0; src < poolSize; src++) {
      for (let dst = 0; dst < poolSize; dst++) if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
    }
    for (let src = poolSize; src < entropyWords.length; src++) {
      for (let dst = 0; dst < poolSize; dst++) pool[dst] = mix(pool[dst], hashmix(entropyWords[src]));
    }
    this.pool = pool;
  }

  /** generate_state(n) as uint32 words. */
  generateState(n: number): number[] {
    let hashConst = INIT_B;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let value = (this.pool[i % this.pool.length] ^ hashConst) >>> 0;
      hashConst = Math.imul(hashConst, MULT_B) >>> 0;
      value = Math.imul(value, hashConst) >>> 0;
      out.push((value ^ (value >>> XSHIFT)) >>> 0);
    }
    return out;
  }
}
