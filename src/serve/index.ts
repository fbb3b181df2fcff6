// The serve room's public surface.
export { buildApp, type ServeApp } from './app.js';
export { serve, startServer, type ListenOptions, type RunningServer } from './server.js';
export { LOG_LEVELS, defaultWorkers, serveOptionsSchema, type ServeOptions, type ServeOptionsInput } from './options.js';
export { errorBodySchema, predictResponseSchema, type ErrorBody, type PredictResponse } from './schemas.js';
export { exportTriton, tritonConfig, type TritonOptions } from './triton.js';
