// period.js - period text as the API writes it: "2024" (Y), "2024-Q3" (Q),
// "2024-07" (M); enumeration between two periods and the year before.
export function parse(text) {
  let m;
  if ((m = /^(\d{4})$/.exec(text))) return { y: +m[1], f: 'Y', n: 1 };
  if ((m = /^(\d{4})-Q([1-4])$/.exec(text))) return { y: +m[1], f: 'Q', n: +m[2] };
  if ((m = /^(\d{4})-(\d{2})$/.exec(text))) return { y: +m[1], f: 'M', n: +m[2] };
  return null;
}

export function format(p) {
  if (p.f === 'Y') return String(p.y);
  if (p.f === 'Q') return `${p.y}-Q${p.n}`;
  return `${p.y}-${String(p.n).padStart(2, '0')}`;
}

const perYear = { Y: 1, Q: 4, M: 12 };

// Every period from first to last (same frequency), oldest first.
export function range(first, last) {
  const a = parse(first), b = parse(last);
  if (!a || !b || a.f !== b.f) return [first];
  const out = [];
  const k = perYear[a.f];
  for (let i = a.y * k + a.n - 1; i <= b.y * k + b.n - 1; i++)
    out.push(format({ y: Math.floor(i / k), f: a.f, n: (i % k) + 1 }));
  return out;
}
