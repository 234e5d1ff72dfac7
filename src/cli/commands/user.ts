import { randomBytes } from 'node:crypto';
import { ROLES, ValidationError, type Role } from '../../index.ts';
import { hashPassword, newSecret, secretHash } from '../../server/index.ts';
import type { CliContext } from '../context.ts';
import { reviewStoreOf } from './serve.ts';

/**
 * `memalign user add|list|role|password|disable|enable|token`: accounts of the review app, in the
 * project's store. Passwords come from MEMALIGN_PASSWORD or are generated and printed once.
 */
export async function userCommand(ctx: CliContext, action: string, name: string | undefined, options: { role?: string; label?: string; arg?: string }): Promise<number> {
  const { reviews, close } = await reviewStoreOf(ctx);
  try {
    const need = () => {
      if (!name) throw new ValidationError('arguments', [{ path: 'name', message: `"memalign user ${action}" needs a user name` }]);
      return name;
    };
    const role = (raw: string | undefined): Role => {
      if (!ROLES.includes(raw as Role)) throw new ValidationError('options', [{ path: '--role', message: `must be one of ${ROLES.join(', ')} (e.g. --role reviewer)` }]);
      return raw as Role;
    };
    const password = () => {
      const given = ctx.io.env.MEMALIGN_PASSWORD;
      if (given !== undefined && given.length < 10) throw new ValidationError('environment', [{ path: 'MEMALIGN_PASSWORD', message: 'must be at least 10 characters long' }]);
      return { value: given ?? randomBytes(12).toString('base64url'), generated: given === undefined };
    };
    switch (action) {
      case 'add': {
        const p = password();
        const account = await reviews.addUser(need(), role(options.role ?? 'reviewer'), await hashPassword(p.value));
        await reviews.audit('cli', 'user.add', account.name, account.role);
        ctx.print({ ...account, password: p.generated ? p.value : undefined }, () => `Added ${account.name} (${account.role})${p.generated ? `, password ${p.value} (shown once)` : ''}.`);
        return 0;
      }
      case 'list': {
        const users = await reviews.users();
        ctx.print(users, () => users.length ? users.map((u) => `${u.name}\t${u.role}${u.disabled ? '\tdisabled' : ''}`).join('\n') : 'No accounts yet: "memalign serve" creates an admin on first start, or run "memalign user add <name> --role admin".');
        return 0;
      }
      case 'role': {
        const account = await reviews.updateUser(need(), { role: role(options.role ?? options.arg) });
        await reviews.audit('cli', 'user.update', account.name, `role ${account.role}`);
        ctx.print(account, () => `${account.name} is now ${account.role}.`);
        return 0;
      }
      case 'password': {
        const p = password();
        const account = await reviews.updateUser(need(), { passwordHash: await hashPassword(p.value) });
        await reviews.audit('cli', 'user.update', account.name, 'password');
        ctx.print({ name: account.name, password: p.generated ? p.value : undefined }, () => `New password for ${account.name}${p.generated ? `: ${p.value} (shown once)` : ' set'}; their sessions ended.`);
        return 0;
      }
      case 'disable': case 'enable': {
        const account = await reviews.updateUser(need(), { disabled: action === 'disable' });
        await reviews.audit('cli', 'user.update', account.name, action);
        ctx.print(account, () => `${account.name} is ${action}d.`);
        return 0;
      }
      case 'token': {
        const user = need();
        if (!(await reviews.user(user))) throw new ValidationError('arguments', [{ path: 'name', message: `no user "${user}" (add one with "memalign user add ${user}")` }]);
        const token = newSecret('mat_');
        await reviews.addToken(secretHash(token), user, options.label ?? 'cli');
        await reviews.audit('cli', 'token.create', user, options.label ?? 'cli');
        ctx.print({ name: user, token }, () => `API token for ${user} (shown once): ${token}\n  use it as: Authorization: Bearer ${token}`);
        return 0;
      }
      default:
        throw new ValidationError('arguments', [{ path: 'action', message: `"${action}" is not a user action: use add, list, role, password, disable, enable or token` }]);
    }
  } finally {
    await close();
  }
}
