/**
 * Flat strings for long-lived lines. V8 keeps a string built by `+` or a template as a tree of
 * its pieces until something reads its characters; the lines of a large document (topology.svg:
 * ~14,000 for 4,000 nodes) live until the document is written, so their ~300,000 pieces survive
 * every young-generation garbage collection on the way, each copying them. Reading a character
 * flattens the tree in place into one string: the pieces die young. The value never changes.
 * Used for the lines of topology.svg and the table rows of summary.md.
 */

/** `text`, flattened (see above). */
export function flat(text: string): string {
  // charCodeAt on a tree of pieces flattens it (a cheap read; the value is not needed)
  text.charCodeAt(0);
  return text;
}
