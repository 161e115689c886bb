// @ts-check
/**
 * How sure the model is of a tag, shown the same way wherever the console shows tags (timeline
 * bands and markers, the transcript's segment tags): the element's opacity grows with the
 * confidence, and its tooltip says it ("ANGRY · 82 %"). A null confidence (the tag is not one of
 * the model's known tags, or a transcript older than 1.1) is shown at full opacity, without a
 * percentage: unknown is not the same as unsure.
 */

/** Opacity of a tag the model gives probability 0; probability 1 is fully opaque. */
export const MIN_TAG_OPACITY = 0.35;

/** @param {number | null | undefined} confidence  0…1, or null when unknown */
export function tagOpacity(confidence) {
  if (confidence === null || confidence === undefined) return 1;
  return MIN_TAG_OPACITY + (1 - MIN_TAG_OPACITY) * Math.min(Math.max(confidence, 0), 1);
}

/**
 * "ANGRY · 82 %", or the label alone when the confidence is unknown.
 * @param {string} label
 * @param {number | null | undefined} confidence
 */
export function tagTitle(label, confidence) {
  if (confidence === null || confidence === undefined) return label;
  return `${label} · ${Math.round(confidence * 100)} %`;
}

/**
 * Sets an element's opacity (through the CSSOM, which the page's Content-Security-Policy allows,
 * unlike a style attribute) from a tag's confidence. Returns the element.
 * @template {HTMLElement | SVGElement} E
 * @param {E} element
 * @param {number | null | undefined} confidence
 * @returns {E}
 */
export function showConfidence(element, confidence) {
  element.style.opacity = String(tagOpacity(confidence));
  element.setAttribute('data-confidence', confidence === null || confidence === undefined ? '' : String(confidence));
  return element;
}

/**
 * The confidence of a merged timeline interval: the mean of the confidences of the segments that
 * carry its label and overlap it, weighted by the overlap; null when none of them has one.
 * @param {{ startS: number, endS: number, label: string }} interval
 * @param {{ startS: number, endS: number, tag: string | null, confidence: number | null | undefined }[]} segments
 * @returns {number | null}
 */
export function intervalConfidence(interval, segments) {
  let weighted = 0;
  let seconds = 0;
  for (const seg of segments) {
    if (seg.tag !== interval.label || seg.confidence === null || seg.confidence === undefined) continue;
    const overlap = Math.min(seg.endS, interval.endS) - Math.max(seg.startS, interval.startS);
    if (overlap <= 0) continue;
    weighted += seg.confidence * overlap;
    seconds += overlap;
  }
  return seconds > 0 ? weighted / seconds : null;
}
