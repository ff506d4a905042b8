/** Text from a history (node names, messages, variants) made safe inside HTML and SVG. */
export const escapeHtml = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
