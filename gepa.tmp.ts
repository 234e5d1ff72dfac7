import { ai, ax, AxGEPA } from '@ax-llm/ax';
import { startLoopbackServer } from './src/testing/index.ts';
let n = 0;
const seen: string[] = [];
const server = await startLoopbackServer({ respond: (req) => {
  n++;
  const sys = String(req.messages.find((m) => m.role === 'system')?.content ?? '');
  const user = String(req.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n'));
  if (seen.length < 3) seen.push(`SYS: ${sys.slice(0, 600)}\nUSER: ${user.slice(-400)}\nRF: ${JSON.stringify(req.response_format)?.slice(0, 300)}`);
  if (/instruction/i.test(sys) && /```/.test(sys + user)) return 'Improved instruction:\n```\nJudge carefully whether the answer is correct.\n```';
  return 'Verdict: good';
} });
const llm = ai({ name: 'openai', apiKey: 'x', apiURL: server.url, config: { model: 'm' as never } } as never);
const program = ax('question:string, answer:string -> verdict:class "good, bad"');
const examples = Array.from({ length: 8 }, (_, i) => ({ question: `q${i}`, answer: `a${i}`, verdict: i % 2 ? 'good' : 'bad' }));
const opt = new AxGEPA({ studentAI: llm, numTrials: 2, minibatch: true, minibatchSize: 3, seed: 1, verbose: false } as never);
const s = performance.now();
try {
  const res = await opt.compile(program as never, examples as never, ((a: { prediction: { verdict: string }; example: { verdict: string } }) => (a.prediction.verdict === a.example.verdict ? 1 : 0)) as never, { maxMetricCalls: 40 } as never);
  console.log('done', n, performance.now() - s, Object.keys(res), JSON.stringify((res as { optimizedProgram?: unknown }).optimizedProgram)?.slice(0, 300));
} catch (e) { console.log('ERR', n, (e as Error).message.slice(0, 500)); }
console.log(seen.join('\n-----\n'));
await server.close();
