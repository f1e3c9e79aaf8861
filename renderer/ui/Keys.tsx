/** A key binding: a sequence of chords, each a list of key labels ("Ctrl", "K"). */
export function Keys({ chords }: { chords: readonly (readonly string[])[] }) {
  return (
    <span className="keys">
      {chords.map((chord, i) => (
        <span key={i} className="keys-chord">
          {i > 0 && <span className="keys-then">then</span>}
          {chord.map((key) => (
            <kbd key={key}>{key}</kbd>
          ))}
        </span>
      ))}
    </span>
  );
}
