import type { Command } from 'commander';
import { registerBench } from './bench.js';
import { registerEval } from './eval.js';
import { registerExport } from './export.js';
import { registerModels } from './models.js';
import { registerPredict } from './predict.js';
import { registerServe } from './serve.js';
import { registerStart } from './start.js';
import { registerSuite } from './suite.js';
import { registerSynth } from './synth.js';
import { registerTrain } from './train.js';
import { registerTune } from './tune.js';

export function registerCommands(program: Command): void {
  for (const register of [registerStart, registerTrain, registerEval, registerPredict, registerBench, registerSuite, registerTune, registerSynth, registerServe, registerExport, registerModels]) {
    register(program);
  }
}
