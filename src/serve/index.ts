// The serve room's public surface.
export { buildApp, predictBodySchema, type AppOptions } from './app.js';
