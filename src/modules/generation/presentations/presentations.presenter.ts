import { deckJobId } from './presentation.events.ts';
import type { DeckRow, DeckSummaryRow } from './presentations.repository.ts';
import { findTheme, THEMES } from './themes.ts';

function presentCommon(row: Omit<DeckSummaryRow, 'slide_count'>) {
  return {
    id: row.id,
    title: row.title,
    prompt: row.prompt,
    numCards: row.num_cards,
    style: row.style,
    templateId: row.template_id,
    themeId: row.theme_id,
    documentIds: row.document_ids,
    status: row.status,
    engine: row.engine,
    model: row.model,
    degraded: row.degraded,
    notice: row.notice,
    cached: row.cached,
    error: row.error,
    jobId: deckJobId(row.id, row.generation),
    createdAt: row.created_at.toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** The deck with its theme's design tokens resolved (a theme dropped from a release falls back to the first). */
export function presentDeck(row: DeckRow) {
  return { ...presentCommon(row), theme: findTheme(row.theme_id) ?? THEMES[0]!, slides: row.slides };
}

export function presentDeckSummary(row: DeckSummaryRow) {
  return { ...presentCommon(row), slideCount: row.slide_count };
}
