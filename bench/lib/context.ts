/** What every bench section gets: options, the API driver and CPU meters for the two servers. */
import type { Bench } from "./api";
import { cpuMs, type LogTap, rssKiB, treeCpuMs, workerdPids } from "./processes";

export interface BenchOptions {
  quick: boolean;
  latencyMs: number;
  reps: number;
  /** N for the listing and first-sync figures. */
  sizes: number[];
  /** Members of the account used by the write and read figures. */
  rowsMembers: number;
  connections: number;
  httpSeconds: number;
  httpRounds: number;
  fanout: number;
  fanoutMembers: number;
  diffMembers: number;
  /** Members of the one account of the optional `huge` section. */
  hugeMembers: number;
  workerPort: number;
  simPort: number;
  sections: string[];
}

export class Context {
  constructor(
    readonly opts: BenchOptions,
    readonly b: Bench,
    readonly workerLog: LogTap,
    private readonly wranglerPid: number,
    private readonly simulatorPid: number,
  ) {}

  /** CPU used so far by the workerd runtime of the Worker (with local D1, queue and KV), in ms. */
  workerCpuMs(): number {
    return workerdPids(this.wranglerPid, this.opts.workerPort).reduce((sum, pid) => sum + cpuMs(pid), 0);
  }

  /** Resident memory of workerd, in KiB. */
  workerRssKiB(): number {
    return workerdPids(this.wranglerPid, this.opts.workerPort).reduce((sum, pid) => sum + rssKiB(pid), 0);
  }

  /** Samples workerd's resident memory every 100 ms until stopped; returns the peak growth in MiB. */
  rssPeak(): { stop: () => number } {
    const base = this.workerRssKiB();
    let peak = base;
    const timer = setInterval(() => {
      peak = Math.max(peak, this.workerRssKiB());
    }, 100);
    return {
      stop: () => {
        clearInterval(timer);
        peak = Math.max(peak, this.workerRssKiB());
        return (peak - base) / 1024;
      },
    };
  }

  /** CPU used so far by the simulator's process tree, in ms. */
  simulatorCpuMs(): number {
    return treeCpuMs(this.simulatorPid);
  }
}
