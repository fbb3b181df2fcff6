// A fingerprint of an encoded dataset: the SHA-256 of the encoder's checksum (vocabularies, statistics, scenario
// map) and every encoded column of every split. Two preparations give the same fingerprint exactly when training
// sees the same bits, whatever the files' paths, mtimes or format.
import { createHash } from 'node:crypto';
import { columnLayout, columnOf, type EncodedColumns } from './columns.js';
import type { FeatureEncoder } from './feature-encoder.js';
import { SPLITS, type SplitName } from './schema.js';

export function datasetFingerprint(data: { encoder: FeatureEncoder } & Record<SplitName, EncodedColumns>): string {
  const h = createHash('sha256').update(data.encoder.checksum);
  const layout = columnLayout(data.encoder.fields, data.encoder.state.extraColumns);
  for (const split of SPLITS) {
    const columns = data[split];
    h.update(`\0${split}:${columns.rows}`);
    for (const c of layout) {
      const values = columnOf(columns, c.key);
      h.update(`\0${c.key}`).update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
  }
  return `sha256:${h.digest('hex')}`;
}
