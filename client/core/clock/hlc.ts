// A hybrid logical clock: wall time when clocks agree, a counter when they do not, so a device
// whose clock runs hours behind still orders its new writes after what it has seen.
// Encoded as a string that sorts correctly: 15-digit ms, 6-digit counter, device id.
// Specification: docs/conflicts.md
export type WallClock = () => number;

export class HybridLogicalClock {
  private wall = 0;
  private counter = 0;

  constructor(
    private readonly deviceId: string,
    private readonly now: WallClock = Date.now,
  ) {}

  /** A timestamp for a local event, later than every timestamp seen so far. */
  tick(): string {
    const physical = this.now();
    if (physical > this.wall) {
      this.wall = physical;
      this.counter = 0;
    } else {
      this.counter += 1;
    }
    return encode(this.wall, this.counter, this.deviceId);
  }

  /** Takes in a remote timestamp so later local ticks sort after it. */
  observe(remote: string): void {
    const parsed = decodeHlc(remote);
    if (!parsed) return;
    if (parsed.wall > this.wall || (parsed.wall === this.wall && parsed.counter > this.counter)) {
      this.wall = parsed.wall;
      this.counter = parsed.counter;
    }
  }
}

function encode(wall: number, counter: number, deviceId: string): string {
  return `${String(wall).padStart(15, "0")}:${String(counter).padStart(6, "0")}:${deviceId}`;
}

export function decodeHlc(value: string): { wall: number; counter: number; deviceId: string } | undefined {
  const match = /^(\d{15}):(\d{6}):(.*)$/.exec(value);
  if (!match) return undefined;
  const [, wall = "", counter = "", deviceId = ""] = match;
  return { wall: Number(wall), counter: Number(counter), deviceId };
}
