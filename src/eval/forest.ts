/**
 * Random forests (Breiman 2001) as scikit-learn builds them: CART trees on bootstrap samples,
 * a random subset of features tried at each node, best split by impurity decrease, leaves that
 * hold the mean target; the forest averages its trees.
 *
 * Written here rather than taken from npm: ml-random-forest (the only maintained candidate)
 * has no multi-output trees, no per-leaf class probabilities and re-sorts at every node; the
 * surrogate needs all three (the paper's forest is sklearn's on a multi-label matrix).
 *
 * One engine serves classification and regression: a multi-output regression tree with the
 * squared-error criterion. For a 0/1 target, n * Gini = 2 * (sum of squared errors), and for a
 * one-hot encoded class the Gini of the class equals the summed squared error over its one-hot
 * outputs, so the splits are those of sklearn's Gini trees and the leaf means are sklearn's leaf
 * class probabilities (predict_proba).
 *
 * Speed: each tree sorts its samples once per feature and keeps the orders through the splits
 * by stable partitioning, so a level costs O(n * features) instead of O(n log n) per node.
 */

/** Options, named after sklearn's RandomForestClassifier/Regressor. */
export interface ForestOptions {
  /** Number of trees (sklearn n_estimators). Default 100. */
  nEstimators?: number;
  /** Maximum depth; default unlimited. */
  maxDepth?: number;
  /** Minimum (distinct) samples in a leaf. Default 1. */
  minSamplesLeaf?: number;
  /** Minimum samples to split a node. Default 2. */
  minSamplesSplit?: number;
  /** Features tried per split: "sqrt" (classifier default), "all" (regressor default), a
   * fraction in (0, 1) or a count >= 1. */
  maxFeatures?: "sqrt" | "log2" | "all" | number;
  /** Bootstrap sample per tree (default true). */
  bootstrap?: boolean;
  /** Seed of the forest's random numbers (sklearn random_state). Default 0. */
  seed?: number;
}

/** A plain-JSON forest, for saving alongside an evaluation. */
export interface ForestJson {
  nFeatures: number;
  nOutputs: number;
  trees: TreeJson[];
}

interface TreeJson {
  feature: number[]; // -1 for a leaf
  threshold: number[];
  left: number[];
  right: number[];
  value: number[]; // nodes x outputs
}

/** Small fast seeded generator (mulberry32); deterministic across platforms. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function featuresPerSplit(opt: ForestOptions["maxFeatures"], d: number): number {
  if (opt === undefined || opt === "all") return d;
  if (opt === "sqrt") return Math.max(1, Math.floor(Math.sqrt(d)));
  if (opt === "log2") return Math.max(1, Math.floor(Math.log2(d)));
  if (opt > 0 && opt < 1) return Math.max(1, Math.floor(opt * d));
  return Math.min(d, Math.max(1, Math.floor(opt)));
}

/** Multi-output squared-error tree fitted on weighted samples. */
class Tree {
  feature: number[] = [];
  threshold: number[] = [];
  left: number[] = [];
  right: number[] = [];
  value: number[] = [];

  constructor(readonly nOutputs: number) {}

  static fit(
    X: Float64Array,
    d: number,
    Y: Float64Array,
    q: number,
    weights: Float64Array,
    opts: Required<Omit<ForestOptions, "nEstimators" | "bootstrap" | "seed">> & { mtry: number },
    rand: () => number,
    importances: Float64Array,
  ): Tree {
    const tree = new Tree(q);
    // Distinct samples in the bag, then one sorted order of them per feature.
    const bag: number[] = [];
    for (let i = 0; i < weights.length; i++) if (weights[i] > 0) bag.push(i);
    const m = bag.length;
    const orders: Int32Array[] = [];
    for (let f = 0; f < d; f++) {
      const o = Int32Array.from(bag);
      o.sort((a, b) => X[a * d + f] - X[b * d + f]);
      orders.push(o);
    }
    const goLeft = new Uint8Array(weights.length);
    const tmp = new Int32Array(m);
    const feats = Int32Array.from({ length: d }, (_, i) => i);
    const sumL = new Float64Array(q);
    const sumT = new Float64Array(q);

    const build = (start: number, end: number, depth: number): number => {
      const node = tree.feature.length;
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      // Node totals: weight, weighted sums and sums of squares (for the impurity).
      const o0 = orders[0];
      let wT = 0;
      let sq = 0;
      sumT.fill(0);
      for (let k = start; k < end; k++) {
        const i = o0[k];
        const w = weights[i];
        wT += w;
        for (let j = 0; j < q; j++) {
          const y = Y[i * q + j];
          sumT[j] += w * y;
          sq += w * y * y;
        }
      }
      let proxyT = 0;
      for (let j = 0; j < q; j++) {
        tree.value.push(sumT[j] / wT);
        proxyT += (sumT[j] * sumT[j]) / wT;
      }
      const sse = sq - proxyT; // node impurity x weight
      const count = end - start;
      if (
        depth >= opts.maxDepth ||
        count < opts.minSamplesSplit ||
        count < 2 * opts.minSamplesLeaf ||
        sse <= 1e-12 * Math.max(1, wT)
      )
        return node;

      // Try mtry features drawn without replacement (partial Fisher-Yates); like sklearn, features
      // constant in this node do not count towards mtry.
      let bestF = -1;
      let bestPos = -1;
      let bestProxy = proxyT + 1e-12 * Math.max(1, proxyT);
      let tried = 0;
      for (let t = 0; t < d && tried < opts.mtry; t++) {
        const r = t + Math.floor(rand() * (d - t));
        const f = feats[r];
        feats[r] = feats[t];
        feats[t] = f;
        const order = orders[f];
        if (X[order[start] * d + f] === X[order[end - 1] * d + f]) continue; // constant here
        tried++;
        sumL.fill(0);
        let wL = 0;
        for (let k = start; k < end - 1; k++) {
          const i = order[k];
          const w = weights[i];
          wL += w;
          for (let j = 0; j < q; j++) sumL[j] += w * Y[i * q + j];
          const nLeft = k + 1 - start;
          if (nLeft < opts.minSamplesLeaf) continue;
          if (end - k - 1 < opts.minSamplesLeaf) break;
          if (X[i * d + f] === X[order[k + 1] * d + f]) continue; // split only between values
          const wR = wT - wL;
          let proxy = 0;
          for (let j = 0; j < q; j++) {
            const r2 = sumT[j] - sumL[j];
            proxy += (sumL[j] * sumL[j]) / wL + (r2 * r2) / wR;
          }
          if (proxy > bestProxy) {
            bestProxy = proxy;
            bestF = f;
            bestPos = k;
          }
        }
      }
      if (bestF < 0) return node;

      const order = orders[bestF];
      const lo = X[order[bestPos] * d + bestF];
      const hi = X[order[bestPos + 1] * d + bestF];
      let thr = lo / 2 + hi / 2;
      if (!(thr < hi)) thr = lo; // midpoint rounded onto hi: keep x <= thr meaning "left"
      importances[bestF] += bestProxy - proxyT; // weighted impurity decrease (MDI)
      for (let k = start; k < end; k++) goLeft[order[k]] = k <= bestPos ? 1 : 0;
      const mid = bestPos + 1;
      // Stable partition of every feature's order, so children stay sorted.
      for (let f = 0; f < d; f++) {
        if (f === bestF) continue;
        const o = orders[f];
        let a = start;
        let b = 0;
        for (let k = start; k < end; k++) {
          const i = o[k];
          if (goLeft[i]) o[a++] = i;
          else tmp[b++] = i;
        }
        o.set(tmp.subarray(0, b), a);
      }
      const l = build(start, mid, depth + 1);
      const r = build(mid, end, depth + 1);
      tree.feature[node] = bestF;
      tree.threshold[node] = thr;
      tree.left[node] = l;
      tree.right[node] = r;
      return node;
    };
    if (m > 0) build(0, m, 0);
    return tree;
  }

  /** Leaf index reached by row i of X. */
  leaf(X: ArrayLike<number>, d: number, i: number): number {
    let n = 0;
    while (this.feature[n] >= 0) {
      n = X[i * d + this.feature[n]] <= this.threshold[n] ? this.left[n] : this.right[n];
    }
    return n;
  }

  toJSON(): TreeJson {
    return {
      feature: this.feature,
      threshold: this.threshold,
      left: this.left,
      right: this.right,
      value: this.value,
    };
  }

  static fromJSON(j: TreeJson, q: number): Tree {
    const t = new Tree(q);
    Object.assign(t, j);
    return t;
  }
}

/**
 * A forest of multi-output squared-error trees. Used directly for regression, and under the
 * classifiers below (targets one-hot or 0/1 per label).
 */
export class ForestEngine {
  trees: Tree[] = [];
  nFeatures = 0;
  nOutputs = 0;
  /** Mean decrease in impurity per feature, normalised to sum 1 (sklearn feature_importances_). */
  featureImportances: Float64Array = new Float64Array(0);

  constructor(
    readonly opts: ForestOptions,
    private readonly defaultMaxFeatures: "sqrt" | "all",
  ) {}

  fit(X: ArrayLike<number>, nFeatures: number, Y: ArrayLike<number>, nOutputs: number): this {
    const d = nFeatures;
    const n = Math.floor(X.length / d);
    if (n * d !== X.length || n === 0)
      throw new RangeError(`forest: ${X.length} feature values is not rows x ${d}`);
    if (Y.length !== n * nOutputs)
      throw new RangeError(`forest: ${Y.length} targets for ${n} rows x ${nOutputs} outputs`);
    const Xf = Float64Array.from(X);
    const Yf = Float64Array.from(Y);
    for (let i = 0; i < Xf.length; i++)
      if (!Number.isFinite(Xf[i])) throw new RangeError(`forest: non-finite feature at ${i}`);
    const o = this.opts;
    const params = {
      maxDepth: o.maxDepth ?? Infinity,
      minSamplesLeaf: Math.max(1, o.minSamplesLeaf ?? 1),
      minSamplesSplit: Math.max(2, o.minSamplesSplit ?? 2),
      maxFeatures: o.maxFeatures ?? this.defaultMaxFeatures,
      mtry: featuresPerSplit(o.maxFeatures ?? this.defaultMaxFeatures, d),
    };
    const rand = mulberry32(o.seed ?? 0);
    const nTrees = o.nEstimators ?? 100;
    const imp = new Float64Array(d);
    const treeImp = new Float64Array(d);
    this.trees = [];
    for (let t = 0; t < nTrees; t++) {
      const w = new Float64Array(n);
      if (o.bootstrap === false) w.fill(1);
      else for (let k = 0; k < n; k++) w[Math.floor(rand() * n)] += 1;
      treeImp.fill(0);
      this.trees.push(Tree.fit(Xf, d, Yf, nOutputs, w, params, rand, treeImp));
      // sklearn normalises each tree's importances before averaging.
      const s = treeImp.reduce((a, b) => a + b, 0);
      if (s > 0) for (let f = 0; f < d; f++) imp[f] += treeImp[f] / s;
    }
    const total = imp.reduce((a, b) => a + b, 0);
    this.featureImportances = total > 0 ? imp.map((v) => v / total) : imp;
    this.nFeatures = d;
    this.nOutputs = nOutputs;
    return this;
  }

  /** Mean over trees of the leaf values: rows x outputs. */
  predictRaw(X: ArrayLike<number>): Float64Array {
    const d = this.nFeatures;
    const q = this.nOutputs;
    if (this.trees.length === 0) throw new Error("forest: predict before fit");
    const n = Math.floor(X.length / d);
    if (n * d !== X.length) throw new RangeError(`forest: ${X.length} values is not rows x ${d}`);
    const out = new Float64Array(n * q);
    for (const tree of this.trees) {
      for (let i = 0; i < n; i++) {
        const leaf = tree.leaf(X, d, i);
        for (let j = 0; j < q; j++) out[i * q + j] += tree.value[leaf * q + j];
      }
    }
    const inv = 1 / this.trees.length;
    for (let k = 0; k < out.length; k++) out[k] *= inv;
    return out;
  }

  toJSON(): ForestJson {
    return {
      nFeatures: this.nFeatures,
      nOutputs: this.nOutputs,
      trees: this.trees.map((t) => t.toJSON()),
    };
  }

  loadJSON(j: ForestJson): this {
    this.nFeatures = j.nFeatures;
    this.nOutputs = j.nOutputs;
    this.trees = j.trees.map((t) => Tree.fromJSON(t, j.nOutputs));
    return this;
  }
}

/** Single-output classifier over integer classes 0..C-1 (sklearn RandomForestClassifier). */
export class RandomForestClassifier {
  private engine: ForestEngine;
  nClasses = 0;
  constructor(opts: ForestOptions = {}) {
    this.engine = new ForestEngine(opts, "sqrt");
  }
  get featureImportances(): Float64Array {
    return this.engine.featureImportances;
  }
  fit(X: ArrayLike<number>, nFeatures: number, y: ArrayLike<number>): this {
    let c = 0;
    for (let i = 0; i < y.length; i++) {
      if (!Number.isInteger(y[i]) || y[i] < 0) throw new RangeError(`classifier: label ${y[i]}`);
      c = Math.max(c, y[i] + 1);
    }
    this.nClasses = Math.max(2, c);
    const Y = new Float64Array(y.length * this.nClasses);
    for (let i = 0; i < y.length; i++) Y[i * this.nClasses + y[i]] = 1;
    this.engine.fit(X, nFeatures, Y, this.nClasses);
    return this;
  }
  /** Mean over trees of the leaf class frequencies (sklearn predict_proba): rows x classes. */
  predictProba(X: ArrayLike<number>): Float64Array {
    return this.engine.predictRaw(X);
  }
  predict(X: ArrayLike<number>): Int32Array {
    const p = this.predictProba(X);
    const c = this.nClasses;
    const out = new Int32Array(p.length / c);
    for (let i = 0; i < out.length; i++) {
      let best = 0;
      for (let k = 1; k < c; k++) if (p[i * c + k] > p[i * c + best]) best = k;
      out[i] = best;
    }
    return out;
  }
}

/** Multi-label classifier: one multi-output tree per estimator over 0/1 label columns, as sklearn
 * RandomForestClassifier does when given an n x labels indicator matrix. */
export class MultiLabelForest {
  private engine: ForestEngine;
  nLabels = 0;
  constructor(opts: ForestOptions = {}) {
    this.engine = new ForestEngine(opts, "sqrt");
  }
  get featureImportances(): Float64Array {
    return this.engine.featureImportances;
  }
  fit(X: ArrayLike<number>, nFeatures: number, Y: ArrayLike<number>, nLabels: number): this {
    this.nLabels = nLabels;
    this.engine.fit(X, nFeatures, Y, nLabels);
    return this;
  }
  /** Probability of each label being 1 (sklearn predict_proba(X)[j][:, 1]): rows x labels. */
  predictProba(X: ArrayLike<number>): Float64Array {
    return this.engine.predictRaw(X);
  }
  /** 0/1 per label; a label is set when its probability exceeds 0.5 (sklearn's argmax). */
  predict(X: ArrayLike<number>): Uint8Array {
    return Uint8Array.from(this.predictProba(X), (p) => (p > 0.5 ? 1 : 0));
  }
}

/** sklearn RandomForestRegressor (squared error, max_features=1.0 by default). */
export class RandomForestRegressor {
  private engine: ForestEngine;
  constructor(opts: ForestOptions = {}) {
    this.engine = new ForestEngine(opts, "all");
  }
  get featureImportances(): Float64Array {
    return this.engine.featureImportances;
  }
  fit(X: ArrayLike<number>, nFeatures: number, y: ArrayLike<number>): this {
    this.engine.fit(X, nFeatures, y, 1);
    return this;
  }
  predict(X: ArrayLike<number>): Float64Array {
    return this.engine.predictRaw(X);
  }
}
