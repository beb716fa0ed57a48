export type { BusinessSettings } from './availability.js';
export { bookingKey } from './book-appointment.js';
export { createToolRunner, TOOLS, type ToolRunnerDeps } from './runner.js';
export type { Tool, ToolDeps, TransferTwimlRequest } from './tool.js';
