/**
 * A resumed training run is the uninterrupted run, bit for bit (weights hash and every epoch's
 * losses), wherever it was killed: mid-epoch, mid-checkpoint, between checkpoint files; and no
 * temporary (`*.tmp-PID`) or stale checkpoint file survives the resume.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { ModelConfig } from "../../src/index.js";
import { ROOT } from "../data.js";

const CHILD = join(ROOT, "dist", "test", "model", "train-child.js");
const EPOCHS = 4;
const env = { ...process.env, ECG_TLC_THREADS: "1" };

function train(dir: string, resume: boolean): void {
  const args = [CHILD, dir, String(EPOCHS), ...(resume ? ["resume"] : [])];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", env, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
}

/**
 * Starts a run and SIGKILLs it `ms` after the checkpoint of epoch `epoch` appears (0: after the
 * start); resolves once it is gone.
 */
function killedAfter(dir: string, epoch: number, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CHILD, dir, String(EPOCHS)], { env, stdio: "ignore" });
    const state = join(dir, "checkpoint", "state.json");
    const reached = () => {
      if (epoch === 0) return true;
      try {
        return (JSON.parse(readFileSync(state, "utf8")) as { epoch: number }).epoch >= epoch;
      } catch {
        return false;
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const poll = setInterval(() => {
      if (!reached()) return;
      clearInterval(poll);
      timer = setTimeout(() => p.kill("SIGKILL"), ms);
    }, 2);
    p.on("exit", () => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve();
    });
  });
}

function config(dir: string): ModelConfig {
  return JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as ModelConfig;
}

function files(dir: string): string[] {
  const ck = join(dir, "checkpoint");
  return [
    ...readdirSync(dir),
    ...(existsSync(ck) ? readdirSync(ck).map((f) => `checkpoint/${f}`) : []),
  ];
}

test(
  "resume after a kill at any point equals the uninterrupted run",
  { timeout: 600_000 },
  async () => {
    const root = mkdtempSync(join(tmpdir(), "ecg-tlc-resume-"));
    try {
      const full = join(root, "full");
      train(full, false);
      const want = config(full);
      const epochMs = 1000 * Math.min(...want.history!.map((h) => h.seconds));
      // Two uninterrupted runs agree: the baseline is deterministic.
      const again = join(root, "again");
      train(again, false);
      assert.equal(config(again).weightsSha256, want.weightsSha256);
      // Kill points after each epoch's checkpoint, spread over the next epoch (its training, its
      // validation, its checkpoint writes), and one during start-up.
      const points: [number, number][] = [[0, 50]];
      for (let e = 1; e < EPOCHS; e++) {
        for (const f of [0, 0.35, 0.7, 0.95]) points.push([e, f * epochMs]);
      }
      let resumed = 0;
      for (const [i, [epoch, ms]] of points.entries()) {
        const dir = join(root, `kill${i}`);
        await killedAfter(dir, epoch, ms);
        const state = join(dir, "checkpoint", "state.json");
        const canResume = existsSync(state);
        if (canResume) resumed++;
        train(dir, canResume);
        const got = config(dir);
        const at = `killed ${ms.toFixed(0)} ms after epoch ${epoch}`;
        assert.equal(got.weightsSha256, want.weightsSha256, at);
        assert.deepEqual(
          got.history!.map((h) => [h.loss, h.valLoss]),
          want.history!.map((h) => [h.loss, h.valLoss]),
        );
        const left = files(dir).filter((f) => /\.tmp-\d+$/.test(f) || /epoch-[0-3]\b/.test(f));
        assert.deepEqual(left, [], `leftovers after the resume (${at})`);
      }
      assert.ok(resumed >= points.length - 2, `${resumed} kills left a checkpoint to resume from`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);
