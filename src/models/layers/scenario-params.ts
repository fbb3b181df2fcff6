// Routing primitives for per-scenario parameters: weights of all S scenarios are stacked as [S, ...] and each
// sample only ever meets its own scenario's weights (never S towers on every sample followed by a mask).
// Weight matrices are applied group by group when the batch is sorted by scenario (`groups`, see
// buildCtrGraph): one product per scenario over its rows. Without groups they are gathered into a [B, in, out]
// copy and applied with one batched matmul (the reference path). Small per-scenario vectors (biases, norm
// affines) are always gathered. The layers built on these are `linear`/`mlp` with a scenario stack (mlp.ts).
import {
  argsort, cast, concat, constant, div, gather, groupedMatmul, invertPermutation, matmul, maximum, oneHot, permuteRows,
  reduceSum, reshape, slice, squeeze, transpose, unsqueeze, type Tensor,
} from '../../engine/index.js';

/** Which scenario each row belongs to; `groups` (int32 [S + 1]) when the rows are sorted by scenario. */
export interface Routing {
  scenario: Tensor;
  groups: Tensor | null;
}

export type RoutedLayer = ((x: Tensor, routing: Routing) => Tensor) & { readonly outDim: number };

/** [S, ...] → [B, ...]: each sample's own scenario slice. */
export function route(stacked: Tensor, scenario: Tensor): Tensor {
  return gather(stacked, scenario, 0);
}

/** x [B, in] @ w[s] [in, out] with s each row's scenario: per scenario group, or with gathered weights. */
export function routedMatmul(x: Tensor, w: Tensor, routing: Routing): Tensor {
  if (routing.groups) return groupedMatmul(x, w, routing.groups);
  return squeeze(matmul(unsqueeze(x, 1), route(w, routing.scenario)), 1);
}

/** K experts of each row's scenario: x [B, in] or [B, K, in], w [S, K, in, out] → [B, K, out]. */
export function routedExperts(x: Tensor, w: Tensor, routing: Routing): Tensor {
  const [S, K, inDim, outDim] = w.shape as number[];
  if (!routing.groups) {
    const x4 = x.shape.length === 2 ? unsqueeze(unsqueeze(x, 1), 1) : unsqueeze(x, 2); // [B, 1|K, 1, in]
    return squeeze(matmul(x4, route(w, routing.scenario)), 2);
  }
  const groups = routing.groups;
  if (x.shape.length === 2) {
    // One input for all K experts: one product per group with the K weight matrices side by side.
    const wide = reshape(transpose(w, [0, 2, 1, 3]), [S, inDim, K * outDim]);
    return reshape(groupedMatmul(x, wide, groups), ['B', K, outDim]);
  }
  const expert = (k: number) => squeeze(slice(w, 1, k, k + 1), 1); // [S, in, out]
  const perExpert = [...Array(K).keys()].map((k) => unsqueeze(groupedMatmul(squeeze(slice(x, 1, k, k + 1), 1), expert(k), groups), 1));
  return concat(perExpert, 1);
}

/** Row offsets [G + 1] of each group in rows sorted by group id: cumulative counts (a triangular matmul). */
export function groupOffsets(key: Tensor, numGroups: number): Tensor {
  const G = numGroups;
  const counts = reduceSum(oneHot(key, G), [0]); // [G]
  const below = Float32Array.from({ length: G * (G + 1) }, (_, k) => (Math.floor(k / (G + 1)) < k % (G + 1) ? 1 : 0));
  const offsets = matmul(unsqueeze(counts, 0), constant(below, [G, G + 1])); // [1, G + 1]
  return cast(reshape(offsets, [G + 1]), 'int32');
}

/** Rows sorted by a group id computed inside the model (e.g. AdaptDHM's cluster), and the way back. */
export interface GroupedRows {
  /** Routing by the group id over the sorted rows. */
  routing: Routing;
  sort(x: Tensor): Tensor;
  unsort(x: Tensor): Tensor;
}

/** A stable in-graph sort of the rows by `key` (int32 [B], values 0..G-1), as buildCtrGraph sorts by scenario. */
export function groupRows(key: Tensor, numGroups: number): GroupedRows {
  const perm = argsort(key);
  const inverse = invertPermutation(perm);
  const sorted = permuteRows(key, perm, inverse);
  return {
    routing: { scenario: sorted, groups: groupOffsets(sorted, numGroups) },
    sort: (x) => permuteRows(x, perm, inverse),
    unsort: (x) => permuteRows(x, inverse, perm),
  };
}

/**
 * Per-scenario values of an input that depends on the scenario only (e.g. the scenario field's embedding):
 * the mean of each scenario's rows, [S, n]. Scenarios absent from the batch get zeros; nothing gathers them.
 */
export function scenarioValues(x: Tensor, scenario: Tensor, numScenarios: number): Tensor {
  const onehotT = transpose(oneHot(scenario, numScenarios), [1, 0]); // [S, B]
  const count = unsqueeze(maximum(reduceSum(onehotT, [1]), 1), 1); // [S, 1]
  return div(matmul(onehotT, x), count);
}
