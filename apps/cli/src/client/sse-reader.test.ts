import { describe, expect, it } from 'vitest';
import { readSse, type SseMessage } from './sse-reader.js';

async function read(chunks: string[]): Promise<SseMessage[]> {
  const bytes = (async function* () {
    for (const c of chunks) yield new TextEncoder().encode(c);
  })();
  const out: SseMessage[] = [];
  for await (const m of readSse(bytes)) out.push(m);
  return out;
}

describe('readSse', () => {
  const whole = 'event: status\nid: 1-0\ndata: {"a":1}\n\n: ping\n\nevent: segment\r\nid: 2-0\r\ndata: x\r\ndata: y\r\n\r\n';
  const expected = [
    { event: 'status', id: '1-0', data: '{"a":1}' },
    { event: 'segment', id: '2-0', data: 'x\ny' },
  ];

  it('reads events, ids, multi-line data and comments, with LF or CRLF', async () => {
    expect(await read([whole])).toEqual(expected);
  });

  it('gives the same messages however the bytes are split, a CRLF across chunks included', async () => {
    for (let cut = 1; cut < whole.length; cut++) {
      expect(await read([whole.slice(0, cut), whole.slice(cut)])).toEqual(expected);
    }
    expect(await read([...whole])).toEqual(expected);
  });

  it('keeps UTF-8 split inside a character, and drops an event the stream cut short', async () => {
    const bytes = new TextEncoder().encode('data: 你好\n\ndata: cut');
    const gen = readSse(
      (async function* () {
        yield bytes.slice(0, 8);
        yield bytes.slice(8);
      })(),
    );
    const out: SseMessage[] = [];
    for await (const m of gen) out.push(m);
    expect(out).toEqual([{ event: undefined, id: undefined, data: '你好' }]);
  });
});
