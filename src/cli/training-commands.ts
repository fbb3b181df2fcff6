// The commands that train. bin/optmsm.js re-executes Node with the malloc settings for these only (the re-exec
// costs a second Node start and pays only while training: bench/README.md, "CLI startup"); a new command that
// trains adds its name here.
export const TRAINING_COMMANDS: readonly string[] = ['train', 'bench', 'suite', 'tune', 'start'];
