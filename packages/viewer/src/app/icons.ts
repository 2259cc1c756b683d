/**
 * Playback icons as inline SVG paths. The buttons showed empty boxes where the system's fonts lack the media
 * glyphs (▶ ⏸ ⏮ ⏭ are not in every font, and headless Chromium has almost none); vector paths always render.
 */
const svg = (d: string) => `<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false"><path fill="currentColor" d="${d}"/></svg>`;

export const ICONS = {
  play: svg('M4 2.5v11l9-5.5z'),
  pause: svg('M3.5 2.5h3v11h-3zM9.5 2.5h3v11h-3z'),
  back: svg('M3 2.5h2v11H3zM13 2.5v11L6 8z'),
  fwd: svg('M11 2.5h2v11h-2zM3 2.5v11L10 8z'),
} as const;

/** Put an icon in a button, with its meaning as the accessible label (the title stays the tooltip). */
export function setIcon(button: HTMLElement, icon: keyof typeof ICONS, label: string): void {
  button.innerHTML = ICONS[icon];
  button.setAttribute('aria-label', label);
  button.dataset.icon = icon;
}
