// Epoch progress. On a terminal: a cli-progress bar with loss, samples/s and ETA, redrawn in place. Elsewhere
// (CI logs, files, pipes) a redrawn bar is noise, so plain lines are written every `logEveryPercent` percent or
// `logEverySeconds` seconds, whichever comes first, and once at the end.
import { SingleBar } from 'cli-progress';

export interface ProgressStats {
  loss: number;
  samplesPerSecond: number;
}

export interface Progress {
  /** `done` counts the same units as `total` (e.g. samples of this epoch). */
  update(done: number, stats: ProgressStats): void;
  stop(): void;
}

export interface ProgressOptions {
  total: number;
  /** Printed first, e.g. "epoch 3/20". */
  label: string;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Overrides the stream's own isTTY. */
  tty?: boolean;
  logEveryPercent?: number;
  logEverySeconds?: number;
  /** Milliseconds clock; tests inject one. */
  now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const formatRate = (x: number) => Math.round(x).toLocaleString('en-US');

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  return tty ? barProgress(options, stream) : lineProgress(options, stream);
}

function barProgress({ total, label }: ProgressOptions, stream: NodeJS.WritableStream): Progress {
  const bar = new SingleBar({
    stream,
    format: `${label} |{bar}| {percentage}% | loss {loss} | {rate} samples/s | ETA {eta_formatted}`,
    barsize: 30,
    hideCursor: true,
    etaBuffer: 50,
  });
  bar.start(total, 0, { loss: '-', rate: '-' });
  return {
    update(done, { loss, samplesPerSecond }) {
      bar.update(done, { loss: loss.toFixed(4), rate: formatRate(samplesPerSecond) });
    },
    stop: () => bar.stop(),
  };
}

function lineProgress(options: ProgressOptions, stream: NodeJS.WritableStream): Progress {
  const { total, label, logEveryPercent = 10, logEverySeconds = 10, now = Date.now } = options;
  const start = now();
  let lastTime = start;
  let lastBucket = 0;
  let last: { done: number; stats: ProgressStats } | null = null;
  let lastLogged = -1;
  const write = (done: number, { loss, samplesPerSecond }: ProgressStats, final: boolean) => {
    const elapsed = (now() - start) / 1000;
    const percent = total > 0 ? Math.floor((100 * done) / total) : 100;
    const eta = done > 0 ? (elapsed * (total - done)) / done : NaN;
    const timing = final ? `took ${formatDuration(elapsed)}` : `ETA ${formatDuration(eta)}`;
    const rate = `${formatRate(samplesPerSecond)} samples/s`;
    stream.write(`${label}: ${percent}% (${done}/${total}) loss ${loss.toFixed(4)}, ${rate}, ${timing}\n`);
    lastLogged = done;
  };
  return {
    update(done, stats) {
      last = { done, stats };
      const bucket = total > 0 ? Math.floor((100 * done) / total / logEveryPercent) : 0;
      const t = now();
      if (bucket > lastBucket || t - lastTime >= logEverySeconds * 1000) {
        lastBucket = bucket;
        lastTime = t;
        write(done, stats, done >= total);
      }
    },
    stop() {
      if (last !== null && (lastLogged !== last.done || last.done < total)) write(last.done, last.stats, true);
    },
  };
}
