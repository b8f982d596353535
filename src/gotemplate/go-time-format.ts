/**
 * Go's `time.Time.Format(layout)` for UTC times (the reference-time layout language: `2006-01-02
 * 15:04:05.000 -0700 MST`, `Jan`, `Monday`, `_2`, `002`, `PM`, `Z07:00`, fractional seconds…).
 */
import { monthName, splitTime, weekdayName } from './go-value.js';

type Std =
  | 'LongMonth'
  | 'Month'
  | 'NumMonth'
  | 'ZeroMonth'
  | 'LongWeekDay'
  | 'WeekDay'
  | 'Day'
  | 'UnderDay'
  | 'ZeroDay'
  | 'UnderYearDay'
  | 'ZeroYearDay'
  | 'Hour'
  | 'Hour12'
  | 'ZeroHour12'
  | 'Minute'
  | 'ZeroMinute'
  | 'Second'
  | 'ZeroSecond'
  | 'LongYear'
  | 'Year'
  | 'PM'
  | 'pm'
  | 'TZ'
  | 'ISO8601TZ'
  | 'ISO8601SecondsTZ'
  | 'ISO8601ShortTZ'
  | 'ISO8601ColonTZ'
  | 'ISO8601ColonSecondsTZ'
  | 'NumTZ'
  | 'NumSecondsTz'
  | 'NumShortTZ'
  | 'NumColonTZ'
  | 'NumColonSecondsTZ'
  | { readonly frac: '0' | '9'; readonly digits: number };

function isDigit(s: string, i: number): boolean {
  const c = s[i];
  return c !== undefined && c >= '0' && c <= '9';
}

/** Go's nextStdChunk: the literal prefix, the std element, and the rest. */
function nextStdChunk(layout: string): { prefix: string; std: Std | undefined; suffix: string } {
  for (let i = 0; i < layout.length; i++) {
    const c = layout[i];
    const rest = layout.slice(i);
    const hit = (std: Std, len: number): { prefix: string; std: Std; suffix: string } => ({
      prefix: layout.slice(0, i),
      std,
      suffix: layout.slice(i + len),
    });
    switch (c) {
      case 'J':
        if (rest.startsWith('January')) return hit('LongMonth', 7);
        if (rest.startsWith('Jan')) return hit('Month', 3);
        break;
      case 'M':
        if (rest.startsWith('Monday')) return hit('LongWeekDay', 6);
        if (rest.startsWith('Mon')) return hit('WeekDay', 3);
        if (rest.startsWith('MST')) return hit('TZ', 3);
        break;
      case '0':
        if (rest.startsWith('002')) return hit('ZeroYearDay', 3);
        switch (layout[i + 1]) {
          case '1':
            return hit('ZeroMonth', 2);
          case '2':
            return hit('ZeroDay', 2);
          case '3':
            return hit('ZeroHour12', 2);
          case '4':
            return hit('ZeroMinute', 2);
          case '5':
            return hit('ZeroSecond', 2);
          case '6':
            return hit('Year', 2);
          case undefined:
            break;
        }
        break;
      case '1':
        if (layout[i + 1] === '5') return hit('Hour', 2);
        return hit('NumMonth', 1);
      case '2':
        if (rest.startsWith('2006')) return hit('LongYear', 4);
        return hit('Day', 1);
      case '_':
        if (layout[i + 1] === '2') {
          // _2006 is really a literal _, followed by the long year.
          if (rest.startsWith('_2006')) return { prefix: layout.slice(0, i + 1), std: 'LongYear', suffix: layout.slice(i + 5) };
          return hit('UnderDay', 2);
        }
        if (rest.startsWith('__2')) return hit('UnderYearDay', 3);
        break;
      case '3':
        return hit('Hour12', 1);
      case '4':
        return hit('Minute', 1);
      case '5':
        return hit('Second', 1);
      case 'P':
        if (layout[i + 1] === 'M') return hit('PM', 2);
        break;
      case 'p':
        if (layout[i + 1] === 'm') return hit('pm', 2);
        break;
      case '-':
        if (rest.startsWith('-070000')) return hit('NumSecondsTz', 7);
        if (rest.startsWith('-07:00:00')) return hit('NumColonSecondsTZ', 9);
        if (rest.startsWith('-0700')) return hit('NumTZ', 5);
        if (rest.startsWith('-07:00')) return hit('NumColonTZ', 6);
        if (rest.startsWith('-07')) return hit('NumShortTZ', 3);
        break;
      case 'Z':
        if (rest.startsWith('Z070000')) return hit('ISO8601SecondsTZ', 7);
        if (rest.startsWith('Z07:00:00')) return hit('ISO8601ColonSecondsTZ', 9);
        if (rest.startsWith('Z0700')) return hit('ISO8601TZ', 5);
        if (rest.startsWith('Z07:00')) return hit('ISO8601ColonTZ', 6);
        if (rest.startsWith('Z07')) return hit('ISO8601ShortTZ', 3);
        break;
      case '.':
      case ',': {
        const ch = layout[i + 1];
        if (ch === '0' || ch === '9') {
          let j = i + 1;
          while (layout[j] === ch) j++;
          if (!isDigit(layout, j)) {
            return { prefix: layout.slice(0, i), std: { frac: ch, digits: j - (i + 1) }, suffix: layout.slice(j) };
          }
        }
        break;
      }
      case undefined:
        break;
    }
  }
  return { prefix: layout, std: undefined, suffix: '' };
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

function dayOfYear(d: Date): number {
  const startOfYear = Date.UTC(d.getUTCFullYear(), 0, 1);
  return Math.floor((d.getTime() - startOfYear) / 86_400_000) + 1;
}

/** `t.Format(layout)` for the UTC time at `ms` milliseconds since the epoch. */
export function goTimeFormat(ms: number, layout: string): string {
  const { sec, nsec } = splitTime(ms);
  const d = new Date(sec * 1000);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  const hour = d.getUTCHours();
  const min = d.getUTCMinutes();
  const s = d.getUTCSeconds();
  let out = '';
  let rest = layout;
  while (rest !== '') {
    const { prefix, std, suffix } = nextStdChunk(rest);
    out += prefix;
    if (std === undefined) break;
    rest = suffix;
    if (typeof std === 'object') {
      const digits = pad(nsec, 9).slice(0, Math.min(std.digits, 9));
      if (std.frac === '0') out += `.${digits}`;
      else {
        const trimmed = digits.replace(/0+$/, '');
        if (trimmed !== '') out += `.${trimmed}`;
      }
      continue;
    }
    switch (std) {
      case 'Year':
        out += pad(((year % 100) + 100) % 100, 2);
        break;
      case 'LongYear':
        out += year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
        break;
      case 'Month':
        out += monthName(month).slice(0, 3);
        break;
      case 'LongMonth':
        out += monthName(month);
        break;
      case 'NumMonth':
        out += String(month);
        break;
      case 'ZeroMonth':
        out += pad(month, 2);
        break;
      case 'WeekDay':
        out += weekdayName(d.getUTCDay()).slice(0, 3);
        break;
      case 'LongWeekDay':
        out += weekdayName(d.getUTCDay());
        break;
      case 'Day':
        out += String(day);
        break;
      case 'UnderDay':
        out += day < 10 ? ` ${day}` : String(day);
        break;
      case 'ZeroDay':
        out += pad(day, 2);
        break;
      case 'UnderYearDay':
        out += String(dayOfYear(d)).padStart(3, ' ');
        break;
      case 'ZeroYearDay':
        out += pad(dayOfYear(d), 3);
        break;
      case 'Hour':
        out += pad(hour, 2);
        break;
      case 'Hour12':
        out += String(hour % 12 === 0 ? 12 : hour % 12);
        break;
      case 'ZeroHour12':
        out += pad(hour % 12 === 0 ? 12 : hour % 12, 2);
        break;
      case 'Minute':
        out += String(min);
        break;
      case 'ZeroMinute':
        out += pad(min, 2);
        break;
      case 'Second':
        out += String(s);
        break;
      case 'ZeroSecond':
        out += pad(s, 2);
        break;
      case 'PM':
        out += hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += hour >= 12 ? 'pm' : 'am';
        break;
      case 'TZ':
        out += 'UTC';
        break;
      case 'ISO8601TZ':
      case 'ISO8601SecondsTZ':
      case 'ISO8601ShortTZ':
      case 'ISO8601ColonTZ':
      case 'ISO8601ColonSecondsTZ':
        out += 'Z';
        break;
      case 'NumTZ':
        out += '+0000';
        break;
      case 'NumSecondsTz':
        out += '+000000';
        break;
      case 'NumShortTZ':
        out += '+00';
        break;
      case 'NumColonTZ':
        out += '+00:00';
        break;
      case 'NumColonSecondsTZ':
        out += '+00:00:00';
        break;
    }
  }
  return out;
}
