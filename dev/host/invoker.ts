import { randomUUID } from 'node:crypto';

import { getProgrammingModel, type FunctionRegistry, type HookName, type RegisteredFunction } from './core-api';
import type {
  CoreInvocationContext,
  FunctionCallback,
  RpcBindingInfo,
  RpcInvocationResponse,
  RpcParameterBinding,
  RpcTypedData,
} from './rpc';

/** Host log: level is the library's (`information`, `warning`, `error`, ...). */
export type HostLog = (level: string, message: string) => void;

export interface InvocationInput {
  /** Why the function runs, for the `Executing ...` log line. */
  reason: string;
  /** Data of the trigger binding. */
  triggerData: RpcTypedData;
  triggerMetadata?: Record<string, RpcTypedData>;
}

export type InvocationOutcome =
  | { succeeded: true; invocationId: string; response: RpcInvocationResponse }
  | { succeeded: false; invocationId: string; error: unknown };

/** The trigger binding of a function: its name (the key in `bindings`) and info. */
export function triggerBinding(fn: RegisteredFunction): { name: string; binding: RpcBindingInfo } {
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (binding.direction === 'in' && binding.type.toLowerCase().endsWith('trigger')) {
      return { name, binding };
    }
  }
  throw new Error(`Function '${fn.metadata.name}' has no trigger binding.`);
}

/**
 * Runs functions the way the Node.js worker's InvocationHandler does: the app's own
 * `@azure/functions` programming model turns RPC data into `InvocationContext` + inputs
 * (`getArguments`), runs the handler (`invokeFunction`) and turns the result back into RPC
 * data (`getResponse`), with preInvocation/postInvocation hooks around the call.
 */
export class FunctionInvoker {
  readonly #registry: FunctionRegistry;
  readonly #log: HostLog;

  constructor(registry: FunctionRegistry, log: HostLog) {
    this.#registry = registry;
    this.#log = log;
  }

  async invoke(fn: RegisteredFunction, input: InvocationInput): Promise<InvocationOutcome> {
    const invocationId = randomUUID();
    const name = fn.metadata.name;
    const started = performance.now();
    this.#log('information', `Executing 'Functions.${name}' (Reason='${input.reason}', Id=${invocationId})`);
    try {
      const response = await this.#run(fn, invocationId, input);
      this.#log(
        'information',
        `Executed 'Functions.${name}' (Succeeded, Id=${invocationId}, Duration=${elapsedInMs(started)}ms)`,
      );
      return { succeeded: true, invocationId, response };
    } catch (error) {
      this.#log(
        'error',
        `Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${elapsedInMs(started)}ms)`,
      );
      this.#log(
        'error',
        `[${name}] Exception while executing function: Functions.${name}. ${describeWithStack(error)}`,
      );
      return { succeeded: false, invocationId, error };
    }
  }

  async #run(fn: RegisteredFunction, invocationId: string, input: InvocationInput): Promise<RpcInvocationResponse> {
    const model = getProgrammingModel();
    if (model === undefined) {
      throw new Error('@azure/functions did not register its programming model.');
    }
    const name = fn.metadata.name;
    const coreContext: CoreInvocationContext = {
      invocationId,
      request: {
        invocationId,
        functionId: name,
        inputData: [{ name: triggerBinding(fn).name, data: input.triggerData } satisfies RpcParameterBinding],
        triggerMetadata: input.triggerMetadata ?? {},
        retryContext: null,
      },
      metadata: fn.metadata,
      log: (level, _category, message) => this.#log(level, `[${name}] ${message}`),
    };
    const invocationModel = await model.getInvocationModel(coreContext);
    const { context, inputs: initialInputs } = await invocationModel.getArguments();

    const hookData: Record<string, unknown> = {};
    const appHookData = this.#registry.appHookData;
    const preInvocation = {
      hookData,
      appHookData,
      invocationContext: context,
      functionCallback: fn.callback,
      inputs: initialInputs,
    };
    coreContext.state = 'preInvocationHooks';
    await this.#runHooks('preInvocation', preInvocation);
    const inputs = preInvocation.inputs;
    const callback: FunctionCallback = preInvocation.functionCallback;

    const postInvocation = {
      hookData,
      appHookData,
      invocationContext: context,
      inputs,
      result: null as unknown,
      error: null as unknown,
    };
    coreContext.state = 'invocation';
    try {
      postInvocation.result = await invocationModel.invokeFunction(context, inputs, callback);
    } catch (error) {
      postInvocation.error = error;
    }
    coreContext.state = 'postInvocationHooks';
    await this.#runHooks('postInvocation', postInvocation);
    coreContext.state = undefined;
    if (postInvocation.error !== null && postInvocation.error !== undefined) {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the function's own error, rethrown unchanged
      throw postInvocation.error;
    }
    return invocationModel.getResponse(context, postInvocation.result);
  }

  async #runHooks(name: HookName, context: Record<string, unknown>): Promise<void> {
    for (const hook of this.#registry.hooks(name)) {
      await hook(context);
    }
  }
}

function elapsedInMs(started: number): number {
  return Math.round(performance.now() - started);
}

/** Message and stack of an error, for the host log only (never for responses). */
export function describeWithStack(error: unknown): string {
  if (error instanceof Error) {
    return error.stack ?? `${error.name}: ${error.message}`;
  }
  return String(error);
}
