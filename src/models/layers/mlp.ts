// The one configurable block (as FuxiCTR's MLP_Block): Linear → [norm] → activation → [dropout] per hidden
// layer, then an optional plain linear output layer. It serves as tower, expert, encoder and hypernetwork.
// A weight stack makes one builder cover every shape a model needs:
//   none                one MLP,                          weights [in, out],        x [B, in] → [B, out]
//   experts K           K MLPs as one batched matmul,     weights [K, in, out],     x [B, in] | [B, K, in] → [B, K, out]
//   scenarios S         one MLP per scenario, routed,     weights [S, in, out],     x [B, in] → [B, out]
//   scenarios × experts K MLPs per scenario, routed,      weights [S, K, in, out],  x [B, in] | [B, K, in] → [B, K, out]
// Routed stacks take the rows' `Routing` and each sample only meets its own scenario's slice (see
// scenario-params.ts). Normalisation follows the stack: each stacked MLP has its own statistics and affine
// terms (batch norm of a scenario stack is partitioned per scenario, STAR-style).
import { z } from 'zod';
import {
  add, constant, dropout, layerNorm, leakyRelu, linearOp, matmul, mul, param, relu, reshape, scope, sigmoid, tanh,
  transpose, type Tensor,
} from '../../engine/index.js';
import { assertInternal } from '../../errors.js';
import { batchNorm, partitionedNorm } from './partitioned-norm.js';
import { route, routedExperts, routedMatmul, type RoutedLayer, type Routing } from './scenario-params.js';

export const activationSchema = z.enum(['relu', 'leaky_relu', 'tanh', 'sigmoid', 'linear']);
export type Activation = z.infer<typeof activationSchema>;
export const normSchema = z.enum(['none', 'batch', 'layer']);
export type Norm = z.infer<typeof normSchema>;
export const hiddenSchema = z.array(z.number().int().positive());
export const dropoutSchema = z.number().min(0).lt(1);

export function activate(x: Tensor, activation: Activation): Tensor {
  switch (activation) {
    case 'relu': return relu(x);
    case 'leaky_relu': return leakyRelu(x, 0.01);
    case 'tanh': return tanh(x);
    case 'sigmoid': return sigmoid(x);
    case 'linear': return x;
  }
}

export function maybeDropout(x: Tensor, rate: number): Tensor {
  return rate > 0 ? dropout(x, rate) : x;
}

/** A layer that also knows its output width, so the next layer can be sized at build time. */
export type Layer = ((x: Tensor) => Tensor) & { readonly outDim: number };

export function asLayer(fn: (x: Tensor) => Tensor, outDim: number): Layer {
  return Object.assign(fn, { outDim });
}

/** The weight stack of a layer or MLP: K experts, S routed scenarios, both, or neither. */
export interface Stack {
  experts?: number;
  scenarios?: number;
}
export type RoutedStack = Stack & { scenarios: number };
export type PlainStack = Stack & { scenarios?: undefined };

type Apply = (x: Tensor, routing: Routing | null) => Tensor;

function needRouting(routing: Routing | null): Routing {
  assertInternal(routing, 'a scenario-stacked layer is applied without the rows\' routing');
  return routing;
}

/**
 * x [B, in] shared by all K against w [K, in, units]: one wide Gemm x · [W_1 … W_K] instead of a broadcast
 * batched matmul, whose backward would materialise K copies of dL/dx and sum them. Later layers are batched.
 */
function expertsMatmul(x: Tensor, w: Tensor): Tensor {
  if (x.shape.length !== 2) return matmul(x, w);
  const [K, inDim, units] = w.shape as number[];
  const wide = reshape(transpose(w, [1, 0, 2]), [inDim, K * units]); // [in, K·units]
  return transpose(reshape(linearOp(x, wide), ['B', K, units]), [1, 0, 2]); // [K, B, units]
}

interface Dense {
  apply: Apply;
  weight: Tensor;
}

/**
 * y = x W + b in the stack's layout. An experts-only stack keeps its activations as [K, B, ·] between layers
 * (a batched matmul over K); the routed stacks keep [B, ·] and [B, K, ·].
 */
function dense(inDim: number, outDim: number, stack: Stack, bias: boolean): Dense {
  const { experts: K, scenarios: S } = stack;
  const lead = [...(S === undefined ? [] : [S]), ...(K === undefined ? [] : [K])];
  const w = param('weight', [...lead, inDim, outDim], { kind: 'xavier_uniform' });
  // An experts-only bias is [K, 1, out] so that it broadcasts over the [K, B, out] activations.
  const biasShape = S === undefined && K !== undefined ? [K, 1, outDim] : [...lead, outDim];
  const b = bias ? param('bias', biasShape, { kind: 'zeros' }) : null;
  const withBias = (y: Tensor, routing: Routing | null) => {
    if (!b) return y;
    return add(y, S === undefined ? b : route(b, needRouting(routing).scenario));
  };
  let apply: Apply;
  if (S === undefined && K === undefined) apply = (x) => linearOp(x, w, b ?? undefined);
  else if (S === undefined) apply = (x) => withBias(expertsMatmul(x, w), null);
  else if (K === undefined) apply = (x, r) => withBias(routedMatmul(x, w, needRouting(r)), r);
  else apply = (x, r) => withBias(routedExperts(x, w, needRouting(r)), r);
  return { apply, weight: w };
}

/** One linear layer y = x W + b (Xavier weights, zero bias) over a stack. */
export function linear(name: string, inDim: number, outDim: number, stack?: PlainStack, bias?: boolean): Layer;
export function linear(name: string, inDim: number, outDim: number, stack: RoutedStack, bias?: boolean): RoutedLayer;
export function linear(name: string, inDim: number, outDim: number, stack: Stack = {}, bias = true): Layer | RoutedLayer {
  const layer = scope(name, () => dense(inDim, outDim, stack, bias));
  const { apply } = withLayout(stack, [layer.apply]);
  return stack.scenarios === undefined ? asLayer((x) => apply(x, null), outDim) : Object.assign(apply, { outDim });
}

/** Normalisation of a hidden layer's output in the stack's layout, per stacked MLP. */
function normLayer(name: string, units: number, stack: Stack, norm: Norm): Apply {
  const { experts: K, scenarios: S } = stack;
  if (norm === 'none') return (x) => x;
  if (norm === 'batch') {
    if (S === undefined) return batchNorm(name, units, { experts: K });
    // Partitioned statistics of the [B, K·units] view: each scenario's samples, per expert and unit.
    const pn = partitionedNorm(name, (K ?? 1) * units, S, { sharedAffine: false });
    if (K === undefined) return (x, r) => pn(x, needRouting(r).scenario);
    return (x, r) => reshape(pn(reshape(x, ['B', K * units]), needRouting(r).scenario), ['B', K, units]);
  }
  if (S === undefined && K === undefined) {
    const [gamma, beta] = scope(name, () => [
      param('gamma', [units], { kind: 'ones' }),
      param('beta', [units], { kind: 'zeros' }),
    ] as const);
    return (x) => layerNorm(x, gamma, beta, -1);
  }
  const lead = S === undefined ? [K as number, 1] : K === undefined ? [S] : [S, K];
  const [gamma, beta] = scope(name, () => [
    param('gamma', [...lead, units], { kind: 'ones' }),
    param('beta', [...lead, units], { kind: 'zeros' }),
  ] as const);
  const unit = constant(new Float32Array(units).fill(1), [units]);
  const zero = constant(new Float32Array(units), [units]);
  const affine = (t: Tensor, r: Routing | null) => (S === undefined ? t : route(t, needRouting(r).scenario));
  return (x, r) => add(mul(layerNorm(x, unit, zero, -1), affine(gamma, r)), affine(beta, r));
}

/** An experts-only stack computes in [K, B, ·]: inputs [B, K, in] enter transposed, outputs leave as [B, K, ·]. */
function withLayout(stack: Stack, steps: readonly Apply[]): { apply: Apply } {
  const run: Apply = (x, r) => steps.reduce((h, step) => step(h, r), x);
  if (stack.experts === undefined || stack.scenarios !== undefined) return { apply: run };
  return { apply: (x, r) => transpose(run(x.shape.length === 3 ? transpose(x, [1, 0, 2]) : x, r), [1, 0, 2]) };
}

export interface MlpOptions {
  hidden: readonly number[];
  activation?: Activation;
  dropout?: number;
  norm?: Norm;
  /** A final linear layer (no activation) to this size; omitted: the last hidden layer is the output. */
  outputDim?: number;
}

export interface Mlp extends Layer {
  /** Each layer's weight tensor in order (OptMSM's parameter-orthogonality loss reads the first). */
  readonly weights: readonly Tensor[];
}
export type RoutedMlp = RoutedLayer & { readonly weights: readonly Tensor[] };

export function mlp(name: string, inDim: number, options: MlpOptions, stack?: PlainStack): Mlp;
export function mlp(name: string, inDim: number, options: MlpOptions, stack: RoutedStack): RoutedMlp;
export function mlp(name: string, inDim: number, options: MlpOptions, stack: Stack = {}): Mlp | RoutedMlp {
  const { hidden, activation = 'relu', dropout: rate = 0, norm = 'none', outputDim } = options;
  return scope(name, () => {
    const steps: Apply[] = [];
    const weights: Tensor[] = [];
    let dim = inDim;
    hidden.forEach((units, i) => {
      // A bias before batch normalisation is cancelled by the mean subtraction.
      const layer = scope(String(i), () => dense(dim, units, stack, norm !== 'batch'));
      const normalise = normLayer(`${i}.norm`, units, stack, norm);
      weights.push(layer.weight);
      steps.push((x, r) => maybeDropout(activate(normalise(layer.apply(x, r), r), activation), rate));
      dim = units;
    });
    if (outputDim !== undefined) {
      const out = scope('out', () => dense(dim, outputDim, stack, true));
      weights.push(out.weight);
      steps.push(out.apply);
      dim = outputDim;
    }
    const { apply } = withLayout(stack, steps);
    if (stack.scenarios !== undefined) return Object.assign(apply, { outDim: dim, weights });
    return Object.assign(asLayer((x) => apply(x, null), dim), { weights });
  });
}
