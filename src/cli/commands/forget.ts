import type { CliContext } from '../context.ts';
import { describeChange } from './align.ts';

/**
 * `memalign forget <judge> --feedback <ids…>`: removes feedback, its examples, and the guidelines
 * only it supported (others are revised by the model from what remains).
 *
 * @example
 * memalign forget sql-review --feedback fb_12 fb_13
 */
export async function forgetCommand(ctx: CliContext, judgeRef: string, ids: string[]): Promise<void> {
  const { ma, model } = await ctx.open(judgeRef);
  try {
    const report = await ma.forget(ids.flatMap((i) => i.split(',')).map((i) => i.trim()).filter(Boolean));
    ctx.print(report, () => describeChange(report, `Forgot ${ids.length} feedback${model ? ` (revisions by ${model})` : ''}`, ctx.flags.verbose));
  } finally {
    await ma.close();
  }
}
