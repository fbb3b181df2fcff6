// Vocabularies fitted on the training split: id 0 is padding, id 1 is OOV, then values by count descending and,
// within a count, by value (JavaScript string order, i.e. UTF-16 code units), so ids never depend on read order.

/** The vocabulary (index i gets id idOf(i), contracts.ts) from values and their training counts. */
export function fitVocab(values: readonly string[], counts: ArrayLike<number>, minCount: number): string[] {
  const keep: number[] = [];
  for (let i = 0; i < values.length; i++) if (counts[i]! >= minCount) keep.push(i);
  keep.sort((a, b) => counts[b]! - counts[a]! || (values[a]! < values[b]! ? -1 : values[a]! > values[b]! ? 1 : 0));
  return keep.map((i) => values[i]!);
}

/** Scenario values in a natural order: numerically when every value is a number, else by string. */
export function sortScenarioValues(values: readonly string[]): string[] {
  const numeric = values.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  return [...values].sort((a, b) => (numeric ? Number(a) - Number(b) : 0) || (a < b ? -1 : a > b ? 1 : 0));
}
