// Reverse-mode autodiff over a trace: walks the nodes that lie between the wrt tensors and the loss in
// reverse order, sums each tensor's incoming gradients once (one addN), calls the op's VJP rule, then undoes
// broadcasting centrally and checks every gradient's shape and dtype against its input.
import { InternalError } from '../errors.js';
import { NON_DIFFERENTIABLE, type OpName, opDef } from './ops/index.js';
import { addN, reduceSum } from './ops/reduce.js';
import { concat, pad, reshape } from './ops/shape.js';
import { type Tensor, formatShape, sameShape } from './tensor.js';
import { type Trace, constant } from './trace.js';

/** Sums g down to x's shape: leading extra dims and dims where x has size 1 (with ReduceSum + Reshape). */
export function unbroadcast(g: Tensor, x: Tensor): Tensor {
  if (sameShape(g.shape, x.shape)) return g;
  const lead = g.rank - x.rank;
  if (lead < 0) return g;
  const axes = [...Array(g.rank).keys()].filter((i) => i < lead || (x.shape[i - lead] === 1 && g.shape[i] !== 1));
  const onlyLeading = axes.every((a) => a < lead);
  return reshape(reduceSum(g, axes, !onlyLeading), [...x.shape]);
}

/**
 * Sums the gradients reaching one tensor. Contributions that are slice VJPs (pads) along one axis with
 * disjoint ranges are joined by one Concat (and one Pad for the uncovered ends) instead of summing padded
 * copies: a model slices E into one piece per field, which would otherwise cost a [B, width] pad per field.
 */
function sumGradients(trace: Trace, parts: Tensor[]): Tensor {
  const pads = parts.map((t) => ({ t, n: trace.node(t) })).filter(({ n }) => n.op === 'pad');
  if (pads.length < 2) return addN(parts);
  const axis = pads[0].n.attrs.axis as number;
  const pieces = pads
    .filter(({ n }) => n.attrs.axis === axis)
    .map(({ t, n }) => {
      const start = n.attrs.before as number;
      return { t, inner: n.inputs[0], start, end: start + (n.inputs[0].shape[axis] as number) };
    })
    .sort((p, q) => p.start - q.start || p.end - q.end);
  const total = pieces[0].t.shape[axis] as number;
  const runs: (typeof pieces)[] = [];
  const rest = parts.filter((t) => !pieces.some((p) => p.t === t));
  for (const p of pieces) {
    const run = runs[runs.length - 1];
    const runEnd = run?.[run.length - 1].end ?? -1;
    if (p.start === runEnd) run.push(p);
    else if (p.start < runEnd) rest.push(p.t); // overlaps: summed as it is
    else runs.push([p]);
  }
  const joined = runs.map((run) =>
    run.length === 1 ? run[0].t : pad(concat(run.map((p) => p.inner), axis), axis, run[0].start, total - run[run.length - 1].end),
  );
  return addN([...joined, ...rest]);
}

export function gradients(trace: Trace, loss: Tensor, wrt: readonly Tensor[]): (Tensor | null)[] {
  const nodes = trace.nodes.slice(0, loss.id + 1);
  const wrtIds = new Set(wrt.map((t) => t.id));
  const depends = nodes.map(() => false);
  for (const n of nodes) {
    depends[n.id] = wrtIds.has(n.id) || (!NON_DIFFERENTIABLE.includes(n.op as OpName) && n.inputs.some((t) => depends[t.id]));
  }
  const pending = new Map<number, Tensor[]>([[loss.id, [constant(new Float32Array(1).fill(1), loss.shape as number[])]]]);
  const done = new Map<number, Tensor>();
  for (let id = loss.id; id >= 0; id--) {
    const parts = pending.get(id);
    if (!parts) continue;
    pending.delete(id);
    const g = sumGradients(trace, parts);
    done.set(id, g);
    const node = nodes[id];
    if (node.op === 'leaf') continue;
    const def = opDef(node.op);
    if (!def) throw new InternalError(`no op definition for '${node.op}'`);
    const grads = def.vjp(g, node.inputs, node.out, node.attrs as never);
    node.inputs.forEach((x, i) => {
      const gi = grads[i];
      if (!depends[x.id] || gi == null) return;
      const reduced = unbroadcast(gi, x);
      if (!sameShape(reduced.shape, x.shape) || reduced.dtype !== x.dtype) {
        throw new InternalError(
          `the VJP of '${node.op}' gives input ${i} a gradient ${formatShape(reduced.shape)} ${reduced.dtype}, ` +
            `but the input is ${formatShape(x.shape)} ${x.dtype}`,
        );
      }
      pending.set(x.id, [...(pending.get(x.id) ?? []), reduced]);
    });
  }
  return wrt.map((t) => done.get(t.id) ?? null);
}
