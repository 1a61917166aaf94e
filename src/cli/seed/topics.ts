/**
 * The subjects seeded documents are about. Plain English words, so the local embedder (GloVe) knows them and a
 * demo search for "how to prune roses" lands in the gardening notes rather than the star charts.
 */
export interface Topic {
  tag: string;
  /** Capitalised, for titles: "The {subject} Handbook". */
  subject: string;
  people: string[];
  nouns: string[];
  /** Third person singular, so any template can use them. */
  verbs: string[];
  adjectives: string[];
  headings: string[];
}

export const TOPICS: readonly Topic[] = [
  {
    tag: 'gardening',
    subject: 'Kitchen Garden',
    people: ['the gardener', 'a careful grower', 'the allotment keeper'],
    nouns: ['rose', 'tomato', 'seedling', 'compost', 'soil', 'root', 'hedge', 'greenhouse', 'mulch', 'bulb'],
    verbs: ['prunes', 'waters', 'feeds', 'shelters', 'transplants', 'protects', 'harvests', 'divides'],
    adjectives: ['fertile', 'sunny', 'shaded', 'frosty', 'damp', 'sandy', 'healthy', 'seasonal'],
    headings: ['Preparing the soil', 'Sowing seeds', 'Pruning roses', 'Composting', 'Pests and disease'],
  },
  {
    tag: 'astronomy',
    subject: 'Night Sky',
    people: ['the observer', 'an amateur astronomer', 'the navigator'],
    nouns: ['telescope', 'planet', 'comet', 'galaxy', 'nebula', 'moon', 'orbit', 'eclipse', 'meteor', 'star'],
    verbs: ['tracks', 'observes', 'reflects', 'crosses', 'eclipses', 'illuminates', 'measures', 'charts'],
    adjectives: ['distant', 'bright', 'faint', 'lunar', 'solar', 'clear', 'dark', 'spiral'],
    headings: ['Choosing a telescope', 'Finding the planets', 'Lunar phases', 'Deep sky objects', 'Eclipses'],
  },
  {
    tag: 'baking',
    subject: 'Bread Baking',
    people: ['the baker', 'a patient cook', 'the pastry chef'],
    nouns: ['dough', 'flour', 'yeast', 'crust', 'oven', 'loaf', 'starter', 'butter', 'recipe', 'knead'],
    verbs: ['proofs', 'kneads', 'shapes', 'bakes', 'ferments', 'folds', 'cools', 'scores'],
    adjectives: ['crisp', 'golden', 'warm', 'sour', 'airy', 'rustic', 'dense', 'fresh'],
    headings: [
      'Flour and water',
      'Wild yeast starters',
      'Kneading and folding',
      'Shaping loaves',
      'The oven',
    ],
  },
  {
    tag: 'sailing',
    subject: 'Coastal Sailing',
    people: ['the skipper', 'a cautious crew', 'the harbour master'],
    nouns: ['sail', 'harbour', 'anchor', 'tide', 'wind', 'rudder', 'mast', 'chart', 'current', 'reef'],
    verbs: ['trims', 'steers', 'anchors', 'navigates', 'reefs', 'tacks', 'moors', 'checks'],
    adjectives: ['calm', 'rough', 'coastal', 'northern', 'steady', 'sheltered', 'tidal', 'gusty'],
    headings: ['Reading the weather', 'Tides and currents', 'Anchoring', 'Night passages', 'Safety at sea'],
  },
  {
    tag: 'beekeeping',
    subject: 'Beekeeping',
    people: ['the beekeeper', 'a new apiarist', 'the village keeper'],
    nouns: ['hive', 'queen', 'colony', 'honey', 'frame', 'swarm', 'pollen', 'nectar', 'smoker', 'comb'],
    verbs: ['inspects', 'feeds', 'splits', 'gathers', 'guards', 'builds', 'stores', 'calms'],
    adjectives: ['busy', 'gentle', 'strong', 'wild', 'sweet', 'crowded', 'healthy', 'wintering'],
    headings: ['Setting up a hive', 'The queen', 'Swarm control', 'Harvesting honey', 'Winter care'],
  },
  {
    tag: 'photography',
    subject: 'Landscape Photography',
    people: ['the photographer', 'a hiking shooter', 'the printer'],
    nouns: [
      'lens',
      'shutter',
      'exposure',
      'light',
      'tripod',
      'sensor',
      'filter',
      'horizon',
      'shadow',
      'frame',
    ],
    verbs: ['captures', 'frames', 'exposes', 'softens', 'balances', 'focuses', 'reveals', 'sharpens'],
    adjectives: ['wide', 'golden', 'long', 'sharp', 'misty', 'dramatic', 'natural', 'low'],
    headings: ['Light and time of day', 'Composition', 'Long exposures', 'Filters', 'Printing'],
  },
  {
    tag: 'woodworking',
    subject: 'Woodworking',
    people: ['the carpenter', 'a weekend joiner', 'the cabinet maker'],
    nouns: ['chisel', 'plane', 'joint', 'grain', 'timber', 'saw', 'glue', 'clamp', 'bench', 'drawer'],
    verbs: ['cuts', 'planes', 'joins', 'sands', 'clamps', 'finishes', 'marks', 'sharpens'],
    adjectives: ['straight', 'seasoned', 'hard', 'smooth', 'oiled', 'square', 'tight', 'rough'],
    headings: ['Choosing timber', 'Sharpening tools', 'Cutting joints', 'Glue and clamps', 'Finishing'],
  },
  {
    tag: 'geology',
    subject: 'Field Geology',
    people: ['the geologist', 'a field student', 'the surveyor'],
    nouns: [
      'rock',
      'fossil',
      'volcano',
      'mineral',
      'crystal',
      'glacier',
      'layer',
      'fault',
      'basalt',
      'river',
    ],
    verbs: ['erodes', 'deposits', 'records', 'shapes', 'folds', 'reveals', 'cools', 'carries'],
    adjectives: ['ancient', 'volcanic', 'layered', 'frozen', 'coarse', 'igneous', 'coastal', 'deep'],
    headings: ['Reading rock layers', 'Fossils', 'Volcanoes', 'Glaciers and valleys', 'Mapping a fault'],
  },
];
