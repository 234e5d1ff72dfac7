import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Account, Role } from '../index.ts';

/**
 * Passwords are hashed with scrypt (node:crypto, i.e. OpenSSL's implementation), N = 2^15, r = 8,
 * p = 1, a 16-byte random salt; stored as `scrypt$N$r$p$salt$hash`.
 */
const N = 1 << 15, R = 8, P = 1, LENGTH = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password.normalize('NFKC'), salt, LENGTH, { N: n, r, p, maxmem: 128 * n * r * 2 }, (error, key) => (error ? reject(error) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  // Unknown users cost the same as wrong passwords (no timing oracle for user names).
  const [scheme, n, r, p, salt, hash] = (stored ?? `scrypt$${N}$${R}$${P}$${'A'.repeat(22)}$${'A'.repeat(43)}`).split('$');
  if (scheme !== 'scrypt') return false;
  const key = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  const expected = Buffer.from(hash, 'base64url');
  return stored !== null && key.length === expected.length && timingSafeEqual(key, expected);
}

/** A random secret (session id, CSRF token, API token). */
export function newSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** Secrets are stored as their SHA-256 only: a leaked database holds no usable session or token. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** What each role may do. */
export type Permission = 'read' | 'review' | 'admin';
const GRANTS: Record<Role, Permission[]> = { admin: ['read', 'review', 'admin'], reviewer: ['read', 'review'], viewer: ['read'] };

export function may(account: Account, permission: Permission): boolean {
  return GRANTS[account.role]?.includes(permission) ?? false;
}

/**
 * Failed sign-ins per key (user name, client address) in a sliding window: after `limit`
 * failures, sign-in is refused until the oldest failure leaves the window.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly limit: number;
  private readonly windowMs: number;
  constructor(limit = 5, windowMs = 10 * 60_000) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Milliseconds to wait before another attempt, 0 when allowed. */
  retryAfter(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const times = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
      this.failures.set(key, times);
      if (times.length >= this.limit) wait = Math.max(wait, times[0] + this.windowMs - now);
    }
    return wait;
  }

  fail(keys: string[], now = Date.now()): void {
    for (const key of keys) this.failures.set(key, [...(this.failures.get(key) ?? []), now].slice(-this.limit * 2));
    if (this.failures.size > 10_000) for (const [k, v] of this.failures) if (v.every((t) => t <= now - this.windowMs)) this.failures.delete(k);
    // Bounded whatever an attacker sends: the oldest keys go first.
    for (const k of this.failures.keys()) { if (this.failures.size <= 100_000) break; this.failures.delete(k); }
  }

  succeed(keys: string[]): void {
    for (const key of keys) this.failures.delete(key);
  }
}
