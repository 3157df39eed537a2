/**
 * Merging shard outputs: every shard of the run exactly once (no record lost or counted twice),
 * each complete (its bytes and SHA-256 as its manifest says), all from the same dataset, model
 * and explainer; then the outputs concatenated in shard order (= dataset order), atomically, with
 * a manifest of the whole run and what it cost.
 */
import { createHash } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { ShardError } from "../errors.js";
import { manifestPath, readManifest, type ShardManifest } from "./output.js";
import { shardRange } from "./shard.js";

export interface ShardCost {
  shard: number;
  records: number;
  seconds: number;
  peakRss: number;
  host: string;
}

export interface MergeReport {
  out: string;
  command: string;
  shards: number;
  records: number;
  bytes: number;
  /** Per shard, in shard order. */
  costs: ShardCost[];
  /** Sum of the shards' wall times (what the run cost in node-seconds). */
  shardSeconds: number;
  /** The slowest shard (the run's wall time when all shards run at once). */
  maxSeconds: number;
  maxPeakRss: number;
}

export interface CheckedShard {
  /** The output file as given. */
  part: string;
  manifest: ShardManifest;
}

/** Checks the shards' manifests against each other; returns them in shard order. */
export function checkShards(parts: string[], expectShards?: number): CheckedShard[] {
  if (!parts.length) throw new ShardError("merge: no shard outputs given");
  const ms = parts.map((p) => {
    try {
      return readManifest(manifestPath(p));
    } catch (err) {
      throw new ShardError(
        `${p}: no complete shard output here (${(err as Error).message}); re-run that shard`,
      );
    }
  });
  const first = ms[0];
  const same = (p: string, what: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b))
      throw new ShardError(
        `${p}: ${what} differs from ${parts[0]}'s; shards of different runs cannot be merged`,
      );
  };
  const count = first.shard?.count ?? 1;
  if (expectShards !== undefined && count !== expectShards)
    throw new ShardError(`${parts[0]}: shard of ${count}, expected ${expectShards} shards`);
  const byIndex = new Array<string | undefined>(count);
  ms.forEach((m, i) => {
    const p = parts[i];
    same(p, "the command", m.command, first.command);
    same(p, "the dataset", m.dataset.fingerprint, first.dataset.fingerprint);
    same(p, "the inputs (model, explainer)", m.inputs, first.inputs);
    same(p, "the number of shards", m.shard?.count ?? 1, count);
    const index = m.shard?.index ?? 0;
    if (byIndex[index] !== undefined)
      throw new ShardError(
        `${p}: shard ${index} of ${count} is also ${byIndex[index]}: each shard must be given once`,
      );
    byIndex[index] = p;
    const want = m.shard ? shardRange(m.dataset.records, m.shard) : [0, m.dataset.records];
    if (m.range[0] !== want[0] || m.range[1] !== want[1] || m.output.records !== want[1] - want[0])
      throw new ShardError(
        `${p}: holds records ${m.range[0]}-${m.range[1]} (${m.output.records}), shard ${index} of ${count} is ${want[0]}-${want[1]}`,
      );
    const file = join(dirname(p), m.output.file);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      throw new ShardError(
        `${p}: output missing though its manifest exists; re-run shard ${index}`,
      );
    }
    if (size !== m.output.bytes)
      throw new ShardError(
        `${p}: ${size} bytes, its manifest says ${m.output.bytes} (partial or changed); re-run shard ${index}`,
      );
  });
  const missing = [...byIndex.keys()].filter((i) => byIndex[i] === undefined);
  if (missing.length)
    throw new ShardError(
      `merge: shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${count} missing; run ${missing.length > 1 ? "them" : "it"} and merge again`,
    );
  return byIndex.map((p) => ({ part: p!, manifest: ms[parts.indexOf(p!)] }));
}

/** Merges shard outputs (JSON lines) into `out`. */
export async function mergeShards(
  parts: string[],
  out: string,
  opts: { expectShards?: number } = {},
): Promise<MergeReport> {
  const checked = checkShards(parts, opts.expectShards);
  const ms = checked.map((c) => c.manifest);
  const files = checked.map((c) => join(dirname(c.part), c.manifest.output.file));
  const tmp = `${out}.tmp-${process.pid}`;
  const w = createWriteStream(tmp);
  const failed = new Promise<never>((_, reject) => w.on("error", reject));
  failed.catch(() => {});
  const whole = createHash("sha256");
  let bytes = 0;
  try {
    for (let s = 0; s < ms.length; s++) {
      const h = createHash("sha256");
      for await (const chunk of createReadStream(files[s])) {
        h.update(chunk as Buffer);
        whole.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
        if (!w.write(chunk))
          await Promise.race([new Promise<void>((r) => w.once("drain", () => r())), failed]);
      }
      if (h.digest("hex") !== ms[s].output.sha256)
        throw new ShardError(
          `${files[s]}: content differs from its manifest's SHA-256 (changed after the shard finished); re-run shard ${s}`,
        );
    }
    await Promise.race([new Promise<void>((r) => w.end(() => r())), failed]);
  } catch (err) {
    w.destroy();
    rmSync(tmp, { force: true });
    throw err;
  }
  rmSync(manifestPath(out), { force: true });
  renameSync(tmp, out);
  const costs: ShardCost[] = ms.map((m, i) => ({
    shard: i,
    records: m.output.records,
    seconds: m.cost.seconds,
    peakRss: m.cost.peakRss,
    host: m.cost.host,
  }));
  const records = ms.reduce((a, m) => a + m.output.records, 0);
  const report: MergeReport = {
    out,
    command: ms[0].command,
    shards: ms.length,
    records,
    bytes,
    costs,
    shardSeconds: costs.reduce((a, c) => a + c.seconds, 0),
    maxSeconds: Math.max(...costs.map((c) => c.seconds)),
    maxPeakRss: Math.max(...costs.map((c) => c.peakRss)),
  };
  const merged: ShardManifest & { merged: MergeReport } = {
    ...ms[0],
    shard: null,
    range: [0, ms[0].dataset.records],
    output: { file: basename(out), records, bytes, sha256: whole.digest("hex") },
    cost: {
      records,
      seconds: report.shardSeconds,
      peakRss: report.maxPeakRss,
      host: hostname(),
      finishedAt: new Date().toISOString(),
    },
    merged: report,
  };
  const mtmp = `${manifestPath(out)}.tmp-${process.pid}`;
  writeFileSync(mtmp, JSON.stringify(merged, null, 1) + "\n");
  renameSync(mtmp, manifestPath(out));
  return report;
}
