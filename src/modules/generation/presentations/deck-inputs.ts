import { AppError } from '../../../platform/errors.ts';
import type { PresentationsRepository } from './presentations.repository.ts';
import { findTemplate, type Template } from './templates.ts';
import { findTheme } from './themes.ts';

// A deck request's references, checked: each a clear 4xx naming what is wrong.

/** The owner's documents, in the order given, all ready; someone else's document answers as a missing one. */
export async function readyDocuments(
  decks: Pick<PresentationsRepository, 'findDocuments'>,
  ownerId: string,
  documentIds: string[],
) {
  const found = await decks.findDocuments(ownerId, documentIds);
  const byId = new Map(found.map((d) => [d.id, d]));
  const missing = documentIds.find((id) => !byId.has(id));
  if (missing) {
    throw new AppError(
      'PRESENTATION_DOCUMENTS_NOT_FOUND',
      404,
      `Document ${missing} was not found in your library.`,
    );
  }
  const unready = found.find((d) => d.status !== 'ready');
  if (unready) {
    throw new AppError(
      'PRESENTATION_DOCUMENTS_NOT_READY',
      422,
      `Document ${unready.id} is ${unready.status}; decks are built from ready documents only.`,
    );
  }
  return documentIds.map((id) => byId.get(id)!);
}

export function templateOf(id: string): Template {
  const template = findTemplate(id);
  if (!template) throw new AppError('PRESENTATION_TEMPLATE_NOT_FOUND', 422, `There is no template "${id}".`);
  return template;
}

export function assertTheme(id: string): void {
  if (!findTheme(id)) throw new AppError('PRESENTATION_THEME_NOT_FOUND', 422, `There is no theme "${id}".`);
}
