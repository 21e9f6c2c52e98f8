// A progress bar on stderr while something long runs, only when a person is watching (a TTY). With
// `bytesPerUnit` (an upload) it shows the rate in MB/s and the time left at that rate, both from the
// first update on (so time spent before, a handshake or a VERIFY, and words a resumed upload skipped do
// not count).
import cliProgress from 'cli-progress';

export interface ProgressOptions {
  /** Bytes per unit of progress (2 for 16-bit words): the bar shows MB/s and the time left. */
  bytesPerUnit?: number;
}

/** Rate in MB/s (10^6 bytes) and seconds left, from `done - from` units in `seconds`; undefined until measurable. */
export function uploadRate(done: number, from: number, total: number, bytesPerUnit: number, seconds: number): { mbPerSecond: number; secondsLeft: number } | undefined {
  const units = done - from;
  if (!(seconds > 0) || units <= 0) return undefined;
  const perSecond = units / seconds;
  return { mbPerSecond: (perSecond * bytesPerUnit) / 1e6, secondsLeft: Math.max(0, total - done) / perSecond };
}

/** 75 -> "1m 15s", 3725 -> "1h 02m", 9 -> "9s". */
export function formatSeconds(s: number): string {
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m ${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h ${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}

export function progress(label: string, total: number, o: ProgressOptions = {}): { update(done: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const rated = o.bytesPerUnit !== undefined;
  const format = rated ? `${label} [{bar}] {percentage}% {mb} MB, {rate} MB/s, {left} left` : `${label} [{bar}] {value}/{total} {eta_formatted}`;
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  // Drawn from the first update on, and again after a stop (a log line stops it); the rate counts from
  // the first update.
  let origin: { at: number; from: number } | undefined;
  let running = false;
  return {
    update: (d) => {
      origin ??= { at: performance.now(), from: d };
      if (!running) {
        running = true;
        bar.start(total, d, { mb: '0.0', rate: '-', left: '-' });
      }
      if (!rated) return bar.update(d);
      const r = uploadRate(d, origin.from, total, o.bytesPerUnit!, (performance.now() - origin.at) / 1000);
      bar.update(d, { mb: ((d * o.bytesPerUnit!) / 1e6).toFixed(1), rate: r ? r.mbPerSecond.toFixed(3) : '-', left: r ? formatSeconds(r.secondsLeft) : '-' });
    },
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}
