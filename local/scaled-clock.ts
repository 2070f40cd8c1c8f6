import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Local time that runs `scale` times faster than real time. Every handler reads "now" from
 * it, so deadlines an hour away arrive in a second at --time-scale 3600, while the code and
 * the ASL stay exactly as deployed. From the moment `originReal` (real ms) the clock shows
 * `originScaled` (case-clock ms) and runs on at `scale`.
 */
export class ScaledClock {
  constructor(
    readonly scale: number,
    private readonly originReal = Date.now(),
    private readonly originScaled = originReal,
  ) {}

  readonly now = (): Date => new Date(this.originScaled + (Date.now() - this.originReal) * this.scale);

  /** The real instant at which this clock will show `iso`: what a Wait state must sleep until. */
  toReal(iso: string): string {
    return new Date(this.originReal + (Date.parse(iso) - this.originScaled) / this.scale).toISOString();
  }

  /** A duration on this clock expressed in real milliseconds. */
  realMs(scaledMs: number): number {
    return scaledMs / this.scale;
  }

  /**
   * A clock that goes on from where the one saved in `file` is now (data kept on disk was
   * written on that clock: starting afresh would move every stored deadline into the future
   * or the past), at `scale` from here on. Time that passed while nothing ran passed on the old
   * clock, as it would on AWS. The new clock is saved for the next start.
   */
  static resume(file: string, scale: number): ScaledClock {
    const realNow = Date.now();
    let scaledNow = realNow;
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { scale: number; originReal: number; originScaled: number };
      scaledNow = new ScaledClock(saved.scale, saved.originReal, saved.originScaled).now().getTime();
    }
    writeFileSync(file, JSON.stringify({ scale, originReal: realNow, originScaled: scaledNow }));
    return new ScaledClock(scale, realNow, scaledNow);
  }
}
