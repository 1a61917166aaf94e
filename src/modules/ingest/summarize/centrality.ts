// Function words carry no topic; without them every sentence looks alike.
const STOP_WORDS = new Set(
  (
    'about above after again against all also among and any are because been before being below between both ' +
    'but can could did does doing down during each few for from further had has have having her here hers ' +
    'herself him himself his how however into its itself just more most much must nor not now off once only ' +
    'other our ours ourselves out over own same she should some such than that the their theirs them ' +
    'themselves then there these they this those through too under until very was were what when where ' +
    'which while who whom why will with would you your yours yourself yourselves may might shall upon within ' +
    'without one two three also per via'
  ).split(' '),
);

interface TermVector {
  ids: Int32Array;
  weights: Float64Array;
}

/**
 * Picks `count` central, mutually dissimilar sentences by LexRank (Erkan & Radev 2004, continuous variant):
 * PageRank over the TF-IDF cosine-similarity graph, so a sentence ranks high when it resembles many sentences
 * that themselves rank high. Greedily skips a sentence too similar to one already picked. O(n²) in the number
 * of sentences: callers bound n. Returns indexes into `sentences`, best first; ties go to the earlier one.
 */
export function centralSentences(sentences: string[], count: number): number[] {
  const vectors = tfidfVectors(sentences);
  const scores = lexRank(vectors);
  const ranked = sentences.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const picked: number[] = [];
  for (const i of ranked) {
    if (picked.length === count) break;
    if (picked.every((j) => cosine(vectors[i]!, vectors[j]!) < REDUNDANT)) picked.push(i);
  }
  return picked;
}

/** Two sentences sharing this much weighted vocabulary say nearly the same thing. */
const REDUNDANT = 0.5;
const DAMPING = 0.15;

function lexRank(vectors: TermVector[]): Float64Array {
  const n = vectors.length;
  const similarity = new Float32Array(n * n);
  const rowSums = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = cosine(vectors[i]!, vectors[j]!);
      similarity[i * n + j] = similarity[j * n + i] = s;
      rowSums[i]! += s;
      rowSums[j]! += s;
    }
  }
  let rank = new Float64Array(n).fill(1 / n);
  for (let iteration = 0; iteration < 100; iteration++) {
    const next = new Float64Array(n);
    // A sentence sharing no word with any other spreads its rank evenly, as PageRank does for dangling pages.
    let dangling = 0;
    for (let i = 0; i < n; i++) {
      if (rowSums[i] === 0) {
        dangling += rank[i]!;
        continue;
      }
      const share = rank[i]! / rowSums[i]!;
      for (let j = 0; j < n; j++) next[j]! += share * similarity[i * n + j]!;
    }
    let change = 0;
    for (let j = 0; j < n; j++) {
      next[j] = DAMPING / n + (1 - DAMPING) * (next[j]! + dangling / n);
      change += Math.abs(next[j]! - rank[j]!);
    }
    rank = next;
    if (change < 1e-6) break;
  }
  return rank;
}

function tfidfVectors(sentences: string[]): TermVector[] {
  const dictionary = new Map<string, number>();
  const documentFrequency: number[] = [];
  const counts = sentences.map((sentence) => {
    const tf = new Map<number, number>();
    for (const term of terms(sentence)) {
      let id = dictionary.get(term);
      if (id === undefined) dictionary.set(term, (id = dictionary.size));
      tf.set(id, (tf.get(id) ?? 0) + 1);
    }
    for (const id of tf.keys()) documentFrequency[id] = (documentFrequency[id] ?? 0) + 1;
    return tf;
  });
  return counts.map((tf) => {
    const ids = Int32Array.from([...tf.keys()].sort((a, b) => a - b));
    const weights = Float64Array.from(
      ids,
      (id) => tf.get(id)! * Math.log(sentences.length / documentFrequency[id]!),
    );
    const norm = Math.hypot(...weights) || 1;
    return { ids, weights: weights.map((w) => w / norm) };
  });
}

/** Lower-cased content words, plurals folded ("pumps" → "pump"), so near-paraphrases share terms. */
function terms(sentence: string): string[] {
  const words = sentence.toLowerCase().match(/\p{L}[\p{L}\p{N}]*/gu) ?? [];
  return words
    .filter((word) => word.length > 2 && !STOP_WORDS.has(word))
    .map((word) => (word.length > 4 ? word.replace(/ies$/, 'y').replace(/(?<![su])s$/, '') : word));
}

/** Dot product of two unit vectors with sorted term ids. */
function cosine(a: TermVector, b: TermVector): number {
  let sum = 0;
  for (let i = 0, j = 0; i < a.ids.length && j < b.ids.length;) {
    if (a.ids[i] === b.ids[j]) sum += a.weights[i++]! * b.weights[j++]!;
    else if (a.ids[i]! < b.ids[j]!) i++;
    else j++;
  }
  return sum;
}
