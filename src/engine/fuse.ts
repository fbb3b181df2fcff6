// A pass over the differentiated training trace. Autodiff sums the gradients reaching a tensor with addN; when one
// of two terms is a 2-D product used nowhere else, Gemm's C input adds the other term for free (Gemm computes
// A·B + C), which saves reading two [M, N] tensors and writing a third: e.g. dL/dE, where a slice of E also feeds
// another layer, or a hidden layer read by two heads.
import { sameShape, type Tensor } from './tensor.js';
import type { Trace } from './trace.js';

export function fuseProductSums(trace: Trace, outputs: readonly Tensor[]): void {
  const uses = new Map<number, number>();
  const use = (t: Tensor) => uses.set(t.id, (uses.get(t.id) ?? 0) + 1);
  for (const n of trace.nodes) n.inputs.forEach(use);
  outputs.forEach(use);
  for (const sum of trace.nodes) {
    if (sum.op !== 'addN' || sum.inputs.length !== 2) continue;
    for (const k of [0, 1]) {
      const product = trace.node(sum.inputs[k]);
      const other = sum.inputs[1 - k];
      const gemm = product.op === 'matmul' && product.inputs.every((t) => t.rank === 2);
      if (!gemm || uses.get(product.id) !== 1 || !sameShape(other.shape, sum.out.shape)) continue;
      // The sum's node becomes the fused product (its id, hence its place after both terms, is kept); the plain
      // product is left without a use, and emission skips it.
      trace.nodes[sum.id] = { ...sum, op: 'matmulAdd', inputs: [...product.inputs, other], attrs: product.attrs };
      break;
    }
  }
}
