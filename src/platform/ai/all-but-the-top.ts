// "All-but-the-top" (Mu & Viswanath, ICLR 2018, https://arxiv.org/abs/1702.01417): GloVe vectors share a large
// mean and a dominant direction that carry frequency, not meaning, so every sentence scores ~0.4 against every
// other. Removing them from the word vectors spreads cosines out; on our chunk-retrieval checks one direction
// measured best (more removed nothing further).

/** Subtracts the mean vector from every row of `rows` (row-major, `dimensions` wide), then the first principal component. */
export function removeCommonDirections(rows: Float32Array, dimensions: number): void {
  const count = rows.length / dimensions;
  const mean = new Float64Array(dimensions);
  for (let i = 0; i < rows.length; i++) mean[i % dimensions]! += rows[i]! / count;
  for (let i = 0; i < rows.length; i++) rows[i]! -= mean[i % dimensions]!;
  const direction = firstPrincipalComponent(rows, dimensions);
  for (let offset = 0; offset < rows.length; offset += dimensions) {
    let projection = 0;
    for (let d = 0; d < dimensions; d++) projection += rows[offset + d]! * direction[d]!;
    for (let d = 0; d < dimensions; d++) rows[offset + d]! -= projection * direction[d]!;
  }
}

/** Power iteration on the covariance of the (centred) rows, from a fixed start so the cache is reproducible. */
function firstPrincipalComponent(rows: Float32Array, dimensions: number): Float64Array {
  const covariance = new Float64Array(dimensions * dimensions);
  for (let offset = 0; offset < rows.length; offset += dimensions) {
    for (let a = 0; a < dimensions; a++) {
      const x = rows[offset + a]!;
      for (let b = a; b < dimensions; b++) covariance[a * dimensions + b]! += x * rows[offset + b]!;
    }
  }
  for (let a = 0; a < dimensions; a++) {
    for (let b = 0; b < a; b++) covariance[a * dimensions + b] = covariance[b * dimensions + a]!;
  }
  let vector = new Float64Array(dimensions).fill(1 / Math.sqrt(dimensions));
  for (let iteration = 0; iteration < 100; iteration++) {
    const next = new Float64Array(dimensions);
    for (let a = 0; a < dimensions; a++) {
      for (let b = 0; b < dimensions; b++) next[a]! += covariance[a * dimensions + b]! * vector[b]!;
    }
    const norm = Math.hypot(...next);
    vector = next.map((v) => v / norm);
  }
  return vector;
}
