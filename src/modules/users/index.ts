// The users module's public surface: other modules import only from here.
export { createAuthenticate, type Authenticate } from './authenticate.ts';
export { authRoutes } from './auth.routes.ts';
export { meRoutes } from './me.routes.ts';
export { createAccessTokens } from './tokens.ts';
export { USER_ERRORS } from './users.errors.ts';
export { createUsersRepository } from './users.repository.ts';
export { createUsersService, type Actor, type UserEvents, type UsersService } from './users.service.ts';
