/**
 * `true` only when A and B are assignable both ways: how a parser (zod) proves at compile time
 * that what it produces is exactly the plain shape the rules read, so the rules need not import it.
 */
export type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
