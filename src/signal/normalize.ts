/** Per-lead normalisation and length fitting of lead-major signals. */

/**
 * Z-scores each lead in place: (x - mean) / std with the population std (numpy's default
 * ddof=0). A flat lead (std below `minStd`) is only centred, so that a disconnected electrode
 * yields zeros rather than a division blow-up.
 */
export function zscoreLeads(
  signal: Float32Array,
  leads: number,
  samples: number,
  minStd = 1e-6,
): void {
  for (let l = 0; l < leads; l++) {
    const o = l * samples;
    let sum = 0;
    for (let i = 0; i < samples; i++) sum += signal[o + i];
    const mean = samples > 0 ? sum / samples : 0;
    let ss = 0;
    for (let i = 0; i < samples; i++) {
      const d = signal[o + i] - mean;
      ss += d * d;
    }
    const std = samples > 0 ? Math.sqrt(ss / samples) : 0;
    const scale = std >= minStd ? 1 / std : 1;
    for (let i = 0; i < samples; i++) signal[o + i] = (signal[o + i] - mean) * scale;
  }
}

/**
 * Centres `samples` per lead in `length`: zero-pads both sides (the extra sample on the right)
 * or crops both sides (the extra sample dropped on the right). `offset` is where input sample 0
 * lands in the output: >= 0 when padded, < 0 when cropped.
 */
export function padOrCrop(
  signal: Float32Array,
  leads: number,
  samples: number,
  length: number,
): { signal: Float32Array; offset: number } {
  const offset =
    length >= samples ? Math.floor((length - samples) / 2) : -Math.floor((samples - length) / 2);
  if (offset === 0 && length === samples) return { signal, offset };
  const out = new Float32Array(leads * length);
  const srcStart = Math.max(0, -offset);
  const dstStart = Math.max(0, offset);
  const count = Math.min(samples - srcStart, length - dstStart);
  for (let l = 0; l < leads; l++) {
    out.set(
      signal.subarray(l * samples + srcStart, l * samples + srcStart + count),
      l * length + dstStart,
    );
  }
  return { signal: out, offset };
}
