// The text-ops module's public surface: text operations for the presentation app.
export { textOpsRoutes } from './text-ops.routes.ts';
export { createTextOpsService, type TextOpsService } from './text-ops.service.ts';
