import { z } from 'zod';
export const s = z.object({ a: z.string().min(1), b: z.email(), c: z.enum(['x','y']).default('x') });
export const handler = async (e: unknown) => s.safeParse(e);
