// The identity of a model on the wire: FNV-1a (32 bits) over the weight-load image's bytes, low byte of
// each 16-bit word first. The image holds everything the accelerator runs (matrices, embeddings,
// parameters, the program) laid out for one hardware configuration, so two images hash alike only if
// the same bitstream can run both. The board's RTL carries the hash of the image it was built for and
// reports it in HELLO; the host refuses a board whose hash differs from its own model's.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function modelHash(image: ArrayLike<number>): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < image.length; i++) {
    const w = image[i]! & 0xffff;
    h = Math.imul(h ^ (w & 0xff), FNV_PRIME) >>> 0;
    h = Math.imul(h ^ (w >>> 8), FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}
