import { setThemePreference, useTheme, type ThemePreference } from '../../app/theme';

export function AppearanceSettings() {
  const { preference, theme } = useTheme();
  const choices: { value: ThemePreference; label: string; note: string }[] = [
    { value: 'system', label: 'Follow the system', note: `currently ${theme}` },
    { value: 'dark', label: 'Dark', note: 'for dim operations rooms' },
    { value: 'light', label: 'Light', note: 'for bright offices and printouts' },
  ];
  return (
    <section className="panel" aria-labelledby="appearance-heading">
      <h2 id="appearance-heading">Appearance</h2>
      <fieldset className="choices">
        <legend>Theme</legend>
        {choices.map((choice) => (
          <label key={choice.value} className="choice">
            <input
              type="radio"
              name="theme"
              value={choice.value}
              checked={preference === choice.value}
              onChange={() => setThemePreference(choice.value)}
            />
            <span>
              {choice.label} <span className="muted">— {choice.note}</span>
            </span>
          </label>
        ))}
      </fieldset>
    </section>
  );
}
