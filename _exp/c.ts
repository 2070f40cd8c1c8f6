import * as z from 'zod/mini';
export const s = z.object({ a: z.string().check(z.minLength(1)), b: z.email(), c: z._default(z.enum(['x','y']), 'x') });
export const handler = async (e: unknown) => s.safeParse(e);
