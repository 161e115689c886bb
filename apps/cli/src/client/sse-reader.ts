/**
 * Server-sent events from a byte stream, per the WHATWG EventSource parsing rules that our API
 * uses: lines end in LF, CRLF or CR (a CRLF split across chunks included); `data:` lines join with
 * LF; `event:`/`id:` set the message's fields; `:` lines are comments (heartbeats); a blank line
 * dispatches. Written here because the maintained parser (`eventsource-parser`) publishes its
 * TypeScript sources under the `source` export condition this repository builds with.
 */
export interface SseMessage {
  event: string | undefined;
  id: string | undefined;
  data: string;
}

export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let event: string | undefined;
  let id: string | undefined;
  const take = function* (text: string, final: boolean): Generator<SseMessage> {
    buffer += text;
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/);
      // A lone CR at the end of a chunk may be the first half of a CRLF: wait for the next chunk.
      if (end < 0 || (!final && end === buffer.length - 1 && buffer[end] === '\r')) return;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield { event, id, data: data.join('\n') };
        data = [];
        event = undefined;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'id') id = value;
    }
  };
  for await (const chunk of body) yield* take(decoder.decode(chunk, { stream: true }), false);
  yield* take(decoder.decode(), true);
}
