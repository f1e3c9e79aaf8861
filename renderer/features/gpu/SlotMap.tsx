import { slotRange } from '../../../shared/mig/validate';
import { assignLanes, giName, slotsText, type SlotBlock } from './model';

const TONE_TEXT: Record<SlotBlock['tone'], string> = {
  plain: '',
  kept: ', kept',
  new: ', created by the plan',
  removed: ', destroyed by the plan',
  problem: ', has a problem',
};

/**
 * A GPU's memory slots as a row of cells (8, or 4 on A30), with each GPU instance drawn as a block
 * over the slots it occupies, its profile on it and its compute instances inside. Overlapping
 * blocks (an invalid edited layout) go to lanes of their own. Positions are CSS classes, not inline
 * styles: the page's CSP allows no style attributes.
 *
 * In the editor, blocks and free cells are buttons (`onBlock`, `onFreeSlot`), so a keyboard reaches
 * every one of them.
 */
export function SlotMap({
  label,
  slots,
  blocks,
  highlight = [],
  selectedSlot = null,
  selectedBlock = null,
  onFreeSlot,
  onBlock,
  compact = false,
}: {
  label: string;
  slots: number;
  blocks: readonly SlotBlock[];
  /** Slots to mark as conflicting (a layout problem's slots). */
  highlight?: readonly number[];
  selectedSlot?: number | null;
  selectedBlock?: number | null;
  onFreeSlot?: (slot: number) => void;
  onBlock?: (block: SlotBlock) => void;
  compact?: boolean;
}) {
  const lanes = assignLanes(blocks);
  const laneCount = Math.max(1, ...lanes.map((l) => l + 1));
  const covered = new Set(blocks.flatMap((b) => slotRange(b.start, b.size)));
  const conflict = new Set(highlight);
  const columns = slots === 4 ? 'slots-4' : 'slots-8';
  return (
    <figure className={`slot-map${compact ? ' slot-map-compact' : ''}`} role="group" aria-label={label}>
      <div className={`slot-blocks ${columns}`}>
        {laneCount === 1 && blocks.length === 0 && (
          <div className="slot-empty gi-start-0 lane-0 gi-size-all">No GPU instances</div>
        )}
        {blocks.map((b, k) => {
          const start = Math.max(0, Math.min(b.start, slots - 1));
          const size = Math.max(1, Math.min(b.size, slots - start));
          const className = `gi-block gi-tone-${b.tone} gi-start-${start} gi-size-${size} lane-${lanes[k] ?? 0}${
            selectedBlock !== null && b.index === selectedBlock ? ' gi-selected' : ''
          }`;
          const name = giName(b.profile, b.start, b.size);
          const body = (
            <>
              <span className="gi-profile">{b.profile}</span>
              <span className="gi-slots">{slotsText(b.start, b.size)}</span>
              {b.computeInstances.length > 0 ? (
                <span className="ci-row" aria-label={`Compute instances of ${name}`}>
                  {b.computeInstances.map((ci, i) => (
                    <span key={`${ci}-${i}`} className="ci-chip">
                      {ci}
                    </span>
                  ))}
                </span>
              ) : (
                <span className="ci-none">no compute instance</span>
              )}
              <span className="visually-hidden">{TONE_TEXT[b.tone]}</span>
            </>
          );
          return onBlock ? (
            <button
              key={b.key}
              type="button"
              className={className}
              aria-pressed={selectedBlock !== null && b.index === selectedBlock}
              data-gi-index={b.index}
              aria-label={`${name}${b.computeInstances.length > 0 ? ` with ${b.computeInstances.join(', ')}` : ''}${TONE_TEXT[b.tone]}`}
              onClick={() => onBlock(b)}
            >
              {body}
            </button>
          ) : (
            <div key={b.key} className={className} role="group" aria-label={`${name}${TONE_TEXT[b.tone]}`}>
              {body}
            </div>
          );
        })}
      </div>
      <ol
        className={`slot-cells ${columns}`}
        aria-label={`Memory slots of ${label.replace(/^Slot map of /, '')}`}
      >
        {slotRange(0, slots).map((s) => {
          const state = conflict.has(s) ? 'conflict' : covered.has(s) ? 'used' : 'free';
          const className = `slot-cell slot-${state}${selectedSlot === s ? ' slot-selected' : ''}`;
          return (
            <li key={s} className={className}>
              {onFreeSlot && state === 'free' ? (
                <button
                  type="button"
                  className="slot-button"
                  aria-pressed={selectedSlot === s}
                  aria-label={`Free slot ${s}: choose what to place here`}
                  onClick={() => onFreeSlot(s)}
                >
                  {s}
                </button>
              ) : (
                <span className="slot-number">{s}</span>
              )}
              <span className="visually-hidden">{`Slot ${s}, ${state}`}</span>
            </li>
          );
        })}
      </ol>
    </figure>
  );
}
