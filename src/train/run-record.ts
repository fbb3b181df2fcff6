// What a run directory records about how it was trained (config.json, written before the first epoch), and the
// checks made against it: `train` into a directory that holds a run refuses without --overwrite, and --resume
// refuses when anything that decides the run's bits differs (model, options, training config, seed, dataset
// config, data fingerprint, code version), naming the first difference.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { OptmsmError } from '../errors.js';
import { RUN_FILES } from './saved-run.js';
import { CHECKPOINT_DIR, checkpointEpoch } from './trainer.js';

/** The config.json keys that decide a run's bits: --resume compares each of them. */
export const IDENTITY_KEYS = ['model', 'variant', 'seed', 'model_config', 'train_resolved', 'dataset', 'data_fingerprint', 'code_version'] as const;
export type RunIdentity = Record<(typeof IDENTITY_KEYS)[number], unknown>;

type RunDirState = { kind: 'empty' } | { kind: 'unfinished'; epoch: number } | { kind: 'finished' };

function stateOf(dir: string): RunDirState {
  if (existsSync(join(dir, RUN_FILES.metrics))) return { kind: 'finished' };
  const epoch = checkpointEpoch(dir);
  return epoch === null ? { kind: 'empty' } : { kind: 'unfinished', epoch };
}

/**
 * Before training into `dir`: a finished or unfinished run there is an error unless resuming or overwriting;
 * overwriting removes what a run writes (nothing else in the directory).
 */
export function claimRunDir(dir: string, options: { resume: boolean; overwrite: boolean }): void {
  if (options.resume && options.overwrite) {
    throw new OptmsmError('E_CLI_USAGE', '--resume and --overwrite contradict each other', {
      expected: '--resume to continue the run, or --overwrite to start it again',
    });
  }
  const state = stateOf(dir);
  if (state.kind !== 'empty' && !options.resume && !options.overwrite) {
    const what = state.kind === 'finished' ? 'a finished run (metrics.json)' : `an unfinished run (checkpoint after epoch ${state.epoch})`;
    throw new OptmsmError('E_RUN_EXISTS', `${dir} already holds ${what}`, {
      location: dir,
      hint: `${state.kind === 'unfinished' ? '--resume continues it, ' : ''}--overwrite replaces it, or --out names another directory`,
    });
  }
  if (options.overwrite) {
    const ours = new Set<string>([...Object.values(RUN_FILES), 'README.txt', 'report.html', CHECKPOINT_DIR]);
    for (const name of readdirSync(dir)) if (ours.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

const show = (v: unknown): string => {
  const text = v === undefined ? '(absent)' : JSON.stringify(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

/** The path of the first difference between two JSON values, or null when equal. */
function firstDifference(a: unknown, b: unknown, path: string): { path: string; recorded: unknown; now: unknown } | null {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : { path, recorded: a, now: b };
}

/** --resume: the run in `dir` must have been trained exactly as it would be now. */
export function checkResumable(dir: string, identity: RunIdentity): void {
  const file = join(dir, RUN_FILES.config);
  let recorded: Record<string, unknown>;
  try {
    recorded = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new OptmsmError('E_TRAIN_CHECKPOINT', `cannot read ${file}, which records how the run was trained`, {
      location: file, found: (e as Error).message, hint: '--overwrite starts the run again',
    });
  }
  // Compare as stored: JSON drops undefined values.
  const now = JSON.parse(JSON.stringify(identity)) as Record<string, unknown>;
  for (const key of IDENTITY_KEYS) {
    const d = firstDifference(recorded[key], now[key], key);
    if (!d) continue;
    throw new OptmsmError('E_TRAIN_RESUME_MISMATCH', `--resume: the run in ${dir} was trained with another ${d.path}`, {
      location: `${file}: ${d.path}`,
      expected: `${show(d.recorded)} (as recorded)`,
      found: show(d.now),
      hint: 'resume with the options the run was started with, or --overwrite to train it again from the start',
    });
  }
}
