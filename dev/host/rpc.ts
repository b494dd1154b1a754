// The shapes that pass between the Functions host and the Node.js worker (the gRPC
// protocol, camelCased the way the worker hands them to `@azure/functions`). The real
// host speaks this protocol, so the local host builds the same shapes and lets the
// app's own `@azure/functions` turn them into `HttpRequest`, `InvocationContext` and
// back. Only the fields this host uses are declared.

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  int?: number | null;
  double?: number | null;
  http?: RpcHttpData | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  query?: Record<string, string> | null;
  statusCode?: string | null;
  /** Response cookies, which the local host refuses. */
  cookies?: unknown[] | null;
}

export interface RpcParameterBinding {
  name: string;
  data: RpcTypedData;
}

export interface RpcInvocationRequest {
  invocationId: string;
  functionId: string;
  inputData: RpcParameterBinding[];
  triggerMetadata: Record<string, RpcTypedData>;
  retryContext?: { retryCount: number; maxRetryCount: number } | null;
}

export interface RpcInvocationResponse {
  invocationId?: string;
  outputData?: RpcParameterBinding[] | null;
  returnValue?: RpcTypedData | null;
}

/** One binding of a registered function, as `toCoreFunctionMetadata` in `@azure/functions` produces it. */
export interface RpcBindingInfo {
  type: string;
  direction: 'in' | 'out' | 'inout';
  name?: string;
  // httpTrigger
  route?: string;
  methods?: string[];
  authLevel?: string;
  // queueTrigger / queue
  queueName?: string;
  connection?: string;
  // timerTrigger
  schedule?: string;
  runOnStartup?: boolean;
  [property: string]: unknown;
}

export interface RpcFunctionMetadata {
  name: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
}

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';

/** What the worker hands to the programming model for one invocation (`CoreInvocationContext`). */
export interface CoreInvocationContext {
  invocationId: string;
  request: RpcInvocationRequest;
  metadata: RpcFunctionMetadata;
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export interface InvocationArguments {
  context: unknown;
  inputs: unknown[];
}

/** `InvocationModel` of `@azure/functions`: converts RPC data to handler arguments and back. */
export interface InvocationModel {
  getArguments(): Promise<InvocationArguments>;
  invokeFunction(context: unknown, inputs: unknown[], handler: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

/** `ProgrammingModel` of `@azure/functions`, handed to the core API by `setProgrammingModel`. */
export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
  getCapabilities(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

export type FunctionCallback = (...args: unknown[]) => unknown;
