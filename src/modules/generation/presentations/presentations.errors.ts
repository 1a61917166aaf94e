import { AppError, defineErrors } from '../../../platform/errors.ts';

export const PRESENTATIONS_ERRORS = defineErrors({
  PRESENTATION_NOT_FOUND: {
    status: 404,
    when: 'No presentation with this id belongs to you (another user’s presentation answers the same).',
  },
  PRESENTATION_TEMPLATE_NOT_FOUND: {
    status: 422,
    when: '`templateId` names no template of `GET /api/v1/templates`.',
  },
  PRESENTATION_THEME_NOT_FOUND: {
    status: 422,
    when: '`themeId` names no theme of `GET /api/v1/themes`.',
  },
  PRESENTATION_DOCUMENTS_NOT_FOUND: {
    status: 404,
    when: 'One of `documentIds` is not a document of yours; `detail` names it.',
  },
  PRESENTATION_DOCUMENTS_NOT_READY: {
    status: 422,
    when: 'One of `documentIds` has not finished processing (or failed); decks are built from ready documents only.',
  },
  PRESENTATION_SLIDE_NOT_FOUND: {
    status: 422,
    when: 'The deck has no slide at this position (0-based), or it is not ready yet.',
  },
  PRESENTATION_LAYOUT_NOT_IN_TEMPLATE: {
    status: 422,
    when: "`layout` is not one of the deck's template layouts (`GET /api/v1/templates`).",
  },
  PRESENTATION_BUSY: {
    status: 409,
    when: 'The deck is being generated; regenerate a slide once it is ready.',
  },
});

export const presentationNotFound = () =>
  new AppError('PRESENTATION_NOT_FOUND', 404, 'Presentation not found.');
