/**
 * Local time that runs `scale` times faster than real time from the moment the stack
 * starts. Every handler reads "now" from it, so deadlines an hour away arrive in a
 * second at --time-scale 3600, while the code and the ASL stay exactly as deployed.
 */
export class ScaledClock {
  constructor(
    readonly scale: number,
    private readonly origin = Date.now(),
  ) {}

  readonly now = (): Date => new Date(this.origin + (Date.now() - this.origin) * this.scale);

  /** The real instant at which this clock will show `iso`: what a Wait state must sleep until. */
  toReal(iso: string): string {
    return new Date(this.origin + (Date.parse(iso) - this.origin) / this.scale).toISOString();
  }

  /** A duration on this clock expressed in real milliseconds. */
  realMs(scaledMs: number): number {
    return scaledMs / this.scale;
  }
}
