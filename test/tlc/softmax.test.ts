import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "../../src/signal/random.js";
import { explainKernels, useExplainKernels } from "../../src/tlc/native-kernels.js";
import { expNonPositive, logUnit, softmaxRows } from "../../src/tlc/softmax.js";

/** Distance in units in the last place between two positive doubles. */
function ulps(a: number, b: number): number {
  const f = new Float64Array([a, b]);
  const i = new BigInt64Array(f.buffer);
  const d = i[0] - i[1];
  return Number(d < 0n ? -d : d);
}

/** Arguments over the whole range the softmax uses, its edges and the subnormal results. */
function expArguments(n: number): Float64Array {
  const rng = new Random(3);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    // half near 0 (posteriors of close centroids), half spread down to the underflow
    x[i] = i % 2 ? -746 * u : -Math.pow(10, -12 + 14 * u);
  }
  x.set([
    0, -0, -1e-300, -0.34657359027997264, -0.6931471805599453, -708.39, -708.4, -709, -744.4,
    -745.1, -745.2, -746,
  ]);
  return x;
}

function logArguments(n: number): Float64Array {
  const rng = new Random(4);
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    p[i] = i % 3 === 0 ? 1 - Math.pow(10, -16 * u) : i % 3 === 1 ? u : Math.pow(10, -323 * u);
    if (!(p[i] > 0 && p[i] < 1)) p[i] = 0.5;
  }
  p.set([
    Number.MIN_VALUE,
    2.2250738585072014e-308,
    2.225073858507201e-308,
    0.7071067811865476,
    0.7071067811865475,
    1 - 2 ** -53,
    0.5,
    0.25,
  ]);
  return p;
}

test("expNonPositive is within 2 ulp of Math.exp over [-746, 0] (subnormal results: 1 ulp of the smallest step)", () => {
  const x = expArguments(200_000);
  let worst = 0;
  let exact = 0;
  for (const v of x) {
    const got = expNonPositive(v);
    const want = Math.exp(v);
    if (want < 2.2250738585072014e-308) {
      assert.ok(Math.abs(got - want) <= Number.MIN_VALUE, `exp(${v})`);
      continue;
    }
    const u = ulps(got, want);
    worst = Math.max(worst, u);
    if (u === 0) exact++;
    assert.ok(u <= 2, `exp(${v}): ${got} vs ${want}, ${u} ulp`);
  }
  assert.equal(expNonPositive(0), 1);
  assert.equal(expNonPositive(-0), 1);
  assert.ok(exact > 0.9 * x.length * (708 / 746) * 0.5, `${exact} of ${x.length} exact`);
  assert.ok(worst <= 2);
});

test("logUnit is within 2 ulp of Math.log over (0, 1), subnormals included", () => {
  const p = logArguments(200_000);
  for (const v of p) {
    const got = logUnit(v);
    const want = Math.log(v);
    assert.ok(ulps(got, want) <= 2, `log(${v}): ${got} vs ${want}`);
  }
  assert.equal(logUnit(1), 0);
});

test("the native exp and p log p give the TypeScript functions' values bit for bit (four lanes and one)", (t) => {
  const k = explainKernels();
  if (!k) return t.skip("the native addon is not built");
  const x = expArguments(50_003);
  const p = logArguments(50_003);
  for (const vector of [true, false]) {
    const e = new Float64Array(x.length);
    k.tlcMathCheck(x, e, 0, vector);
    x.forEach((v, i) => {
      const want = v === 0 ? 1 : v < -746 ? 0 : expNonPositive(v);
      assert.ok(Object.is(e[i], want), `exp(${v}): ${e[i]} vs ${want} (vector ${vector})`);
    });
    const c = new Float64Array(p.length);
    k.tlcMathCheck(p, c, 1, vector);
    p.forEach((v, i) => {
      const want = v * logUnit(v);
      assert.ok(Object.is(c[i], want), `p log p (${v}): ${c[i]} vs ${want} (vector ${vector})`);
    });
  }
});

test("softmaxRows: the native kernel and the TypeScript loop agree bit for bit, repeated rows included", (t) => {
  if (!explainKernels()) return t.skip("the native addon is not built");
  const rng = new Random(9);
  for (const k of [1, 2, 5, 6, 7]) {
    for (const sigma2 of [50, 0.3, 1e-3]) {
      const rows = 37;
      const d = new Float64Array(rows * k);
      const repeats = new Uint8Array(rows);
      for (let r = 0; r < rows; r++) {
        repeats[r] = r > 0 && r % 4 === 3 ? 1 : 0;
        for (let q = 0; q < k; q++) d[r * k + q] = repeats[r] ? NaN : 20 * rng.next() ** 2;
      }
      d[k] = d[k + 1 < d.length ? k + 1 : k]; // a tie
      const run = (native: boolean) => {
        const was = useExplainKernels(native);
        const probs = d.slice();
        const labels = new Int32Array(rows);
        const entropy = new Float64Array(rows);
        softmaxRows(probs, repeats, rows, k, sigma2, labels, entropy);
        useExplainKernels(was);
        return {
          probs: Array.from(probs),
          labels: Array.from(labels),
          entropy: Array.from(entropy),
        };
      };
      const a = run(true);
      const b = run(false);
      assert.deepEqual(a, b, `k ${k} sigma2 ${sigma2}`);
      for (let r = 0; r < rows; r++) {
        const row = a.probs.slice(r * k, (r + 1) * k);
        assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-12);
        assert.ok(a.entropy[r] >= 0 && a.entropy[r] <= 1);
      }
    }
  }
});
