/** Design tokens a client renders a deck with; changing a deck's theme never touches its content. */
export interface Theme {
  id: string;
  name: string;
  colors: { background: string; surface: string; text: string; muted: string; accent: string };
  fonts: { heading: string; body: string };
  /** Corner radius of cards and images, in CSS pixels. */
  radius: number;
}

const SANS = 'Inter, system-ui, sans-serif';
const SERIF = 'Georgia, "Times New Roman", serif';

export const THEMES: readonly Theme[] = [
  {
    id: 'paper',
    name: 'Paper',
    colors: {
      background: '#fbfaf7',
      surface: '#ffffff',
      text: '#1f2328',
      muted: '#6b7280',
      accent: '#2563eb',
    },
    fonts: { heading: SERIF, body: SANS },
    radius: 8,
  },
  {
    id: 'midnight',
    name: 'Midnight',
    colors: {
      background: '#0f172a',
      surface: '#1e293b',
      text: '#f1f5f9',
      muted: '#94a3b8',
      accent: '#38bdf8',
    },
    fonts: { heading: SANS, body: SANS },
    radius: 12,
  },
  {
    id: 'forest',
    name: 'Forest',
    colors: {
      background: '#f3f7f2',
      surface: '#ffffff',
      text: '#17301f',
      muted: '#5b7263',
      accent: '#2f7d4a',
    },
    fonts: { heading: SERIF, body: SERIF },
    radius: 4,
  },
  {
    id: 'sunset',
    name: 'Sunset',
    colors: {
      background: '#fff7ed',
      surface: '#ffffff',
      text: '#3b1d0f',
      muted: '#9a6b52',
      accent: '#ea580c',
    },
    fonts: { heading: SANS, body: SERIF },
    radius: 16,
  },
  {
    id: 'contrast',
    name: 'High contrast',
    colors: {
      background: '#000000',
      surface: '#111111',
      text: '#ffffff',
      muted: '#d4d4d4',
      accent: '#ffd400',
    },
    fonts: { heading: SANS, body: SANS },
    radius: 0,
  },
];

export const findTheme = (id: string): Theme | undefined => THEMES.find((t) => t.id === id);
