/** The one source of "now". Locally it may run faster than real time (--time-scale). */
export type Clock = () => Date;
