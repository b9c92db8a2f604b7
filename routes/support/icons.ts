import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

// Lucide's SVG files (lucide-static, pinned in package.json), read once at start and inlined into
// the page, so an icon takes its colour from the text around it and needs no request of its own.
const ICON_DIR = path.join(path.dirname(createRequire(import.meta.url).resolve('lucide-static/package.json')), 'icons');

/** A category's icon key (services/ledger/categories.ts ICONS) → the Lucide icon drawn for it. */
export const CATEGORY_ICON_FILES: Record<string, string> = {
  tag: 'tag',
  cart: 'shopping-cart',
  coins: 'coins',
  box: 'package',
  megaphone: 'megaphone',
  card: 'credit-card',
  building: 'building-2',
  people: 'users',
  laptop: 'laptop',
  truck: 'truck',
  plane: 'plane',
  cup: 'coffee',
  paperclip: 'paperclip',
  briefcase: 'briefcase',
  receipt: 'receipt',
  bolt: 'zap',
  car: 'car',
  phone: 'smartphone',
  book: 'book-open',
  gift: 'gift',
};

/** Icons the pages use beside the categories' own. */
const UI_ICONS = ['grip-vertical', 'arrow-up', 'arrow-down', 'rotate-ccw', 'check', 'circle'];

const cache = new Map<string, string>();

/** The markup of one icon: decorative (aria-hidden), 1em square, stroked in the current colour. */
function load(file: string): string {
  const svg = readFileSync(path.join(ICON_DIR, `${file}.svg`), 'utf8');
  const body = svg.slice(svg.indexOf('<svg')).replace(/<svg[^>]*>/, '');
  return `<svg class="icon-svg icon-${file}" xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${body.replace(/\s+/g, ' ').trim()}`;
}

for (const file of [...Object.values(CATEGORY_ICON_FILES), ...UI_ICONS]) cache.set(file, load(file));

/** The SVG of a category's icon; an unknown key draws the tag. */
export function categoryIconSvg(key: string | null | undefined): string {
  return cache.get(CATEGORY_ICON_FILES[key ?? ''] ?? 'tag') ?? '';
}

/** The SVG of one of the interface's own icons (UI_ICONS); empty for any other name. */
export function uiIconSvg(name: string): string {
  return UI_ICONS.includes(name) ? (cache.get(name) ?? '') : '';
}
