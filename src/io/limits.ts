/**
 * What a record may claim. A header is a few hundred bytes that can ask for gigabytes of work, so
 * every count it gives is checked against what ECG files really hold before anything is allocated:
 *
 * - frame rate: ECGs are sampled at 50 Hz (old Holter) to 10 kHz (high-resolution), evoked
 *   potentials up to 48 kHz (wfdb-samples n8_evoked_raw); multi-frequency records give a low frame
 *   rate with several samples per frame (drive02: 15.5 Hz frames), and WFDB also stores 1 Hz
 *   numerics (wave_4). So 1 Hz to 100 kHz.
 * - length: a 14-day patch Holter at 1 kHz is 1.2 x 10^9 samples; 2^32 is beyond any recording.
 * - signals: 12 leads, 15 (PTB), body-surface maps up to a few hundred electrodes: 1,024.
 * - segments: MIMIC waveform records have up to a few thousand: 100,000.
 * - samples read at once: 2^28 values (1 GiB of float32); longer records are read in parts.
 * - samples no file backs (null signals, gap segments: read as NaN): 2^25 values (128 MiB), so a
 *   header alone cannot make the reader fill gigabytes.
 * - header text: 1 MiB (a 1,024-signal header is about 100 kB).
 */
import { EcgFormatError } from "../errors.js";

export const RECORD_LIMITS = {
  minFs: 1,
  maxFs: 100_000,
  maxSamples: 2 ** 32,
  maxSignals: 1024,
  maxSegments: 100_000,
  maxSamplesPerFrame: 1024,
  maxValues: 2 ** 28,
  maxUnbackedValues: 2 ** 25,
  maxHeaderBytes: 1024 * 1024,
} as const;

/** Refuses a frame rate outside RECORD_LIMITS (and anything not a finite positive number). */
export function checkSamplingRate(fs: number, file: string, written = String(fs)): void {
  if (!Number.isFinite(fs) || fs <= 0) {
    throw new EcgFormatError(file, `invalid sampling frequency '${written.slice(0, 24)}'`);
  }
  if (fs < RECORD_LIMITS.minFs || fs > RECORD_LIMITS.maxFs) {
    throw new EcgFormatError(
      file,
      `sampling frequency ${written.slice(0, 24)} Hz is outside ${RECORD_LIMITS.minFs}-${RECORD_LIMITS.maxFs} Hz (no ECG is sampled so)`,
    );
  }
}

/** Refuses a sample count beyond RECORD_LIMITS.maxSamples. */
export function checkSampleCount(samples: number, file: string, what = "samples"): void {
  if (!Number.isSafeInteger(samples) || samples < 0 || samples > RECORD_LIMITS.maxSamples) {
    throw new EcgFormatError(
      file,
      `implausible number of ${what} ${String(samples).slice(0, 24)} (limit ${RECORD_LIMITS.maxSamples})`,
    );
  }
}

/** Refuses reading `samples x signals` values at once, or filling `unbacked` values with NaN. */
export function checkReadSize(
  samples: number,
  signals: number,
  unbacked: number,
  file: string,
): void {
  if (samples * signals > RECORD_LIMITS.maxValues) {
    throw new EcgFormatError(
      file,
      `record too large to read at once (${samples} samples x ${signals} signals); read parts with sampfrom/sampto`,
    );
  }
  if (unbacked > RECORD_LIMITS.maxUnbackedValues) {
    throw new EcgFormatError(
      file,
      `${unbacked} samples are in no signal file (null signals or gaps), more than ${RECORD_LIMITS.maxUnbackedValues}; read parts with sampfrom/sampto`,
    );
  }
}
