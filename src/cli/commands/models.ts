import type { Command } from 'commander';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('list the registered models and their options with defaults')
    .action(async () => {
      const { MODELS } = await import('../../models/index.js');
      for (const definition of MODELS.values()) {
        process.stdout.write(`${definition.name}: ${definition.description}\n`);
        const defaults = definition.config.parse({}) as Record<string, unknown>;
        for (const [key, schema] of Object.entries(definition.config.shape)) {
          const about = (schema as { description?: string }).description ?? '';
          process.stdout.write(`    ${key} = ${JSON.stringify(defaults[key])}${about ? `  (${about})` : ''}\n`);
        }
      }
    });
}
