/**
 * Multi-lead consensus of one wave of one beat. Cardiologists mark a wave in every lead at nearly
 * the same place (LUDB's per-lead marks rarely differ by more than a few tens of ms), while a
 * single lead's estimate fails where the wave is flat or noisy in that lead. So: the beat's wave
 * exists when enough leads see it at agreeing places; each lead keeps its own boundaries when they
 * agree with the others' median and takes the median otherwise.
 */
import type { LeadWave } from "./lead.js";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface ConsensusOptions {
  /** fewest leads (after outlier removal) that must see the wave */
  minLeads: number;
  /** a lead's peak farther than this from the median peak is an outlier, samples */
  peakTol: number;
  /** a lead's onset/offset farther than this from the median is replaced by it, samples */
  edgeTol: number;
  /** weight of a lead's own boundary against the median (0: median only, 1: own only) */
  own: number;
}

export interface Consensus {
  /** the beat's wave (median of the agreeing leads), or null when not enough leads agree */
  wave: LeadWave | null;
  /** per-lead result (null where the consensus rejects the wave) */
  leads: (LeadWave | null)[];
}

export function consensus(perLead: (LeadWave | null)[], o: ConsensusOptions): Consensus {
  const found = perLead.filter((w): w is LeadWave => w !== null);
  if (found.length < o.minLeads) return { wave: null, leads: perLead.map(() => null) };
  // robust centre: the median of the peaks, then of those within peakTol of it
  const m0 = median(found.map((w) => w.peak));
  const agree = found.filter((w) => Math.abs(w.peak - m0) <= o.peakTol);
  if (agree.length < o.minLeads) return { wave: null, leads: perLead.map(() => null) };
  const wave: LeadWave = {
    onset: Math.round(median(agree.map((w) => w.onset))),
    peak: Math.round(median(agree.map((w) => w.peak))),
    offset: Math.round(median(agree.map((w) => w.offset))),
    amp: median(agree.map((w) => w.amp)),
  };
  const mix = (own: number, med: number) =>
    Math.abs(own - med) <= o.edgeTol ? Math.round(o.own * own + (1 - o.own) * med) : med;
  const leads = perLead.map((w) => {
    if (!w || Math.abs(w.peak - wave.peak) > o.peakTol) return { ...wave };
    const onset = mix(w.onset, wave.onset);
    const offset = mix(w.offset, wave.offset);
    const peak = Math.min(Math.max(w.peak, onset), offset);
    return { onset, peak, offset, amp: w.amp };
  });
  return { wave, leads };
}
